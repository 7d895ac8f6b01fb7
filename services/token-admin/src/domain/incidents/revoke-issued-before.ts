import type { Transaction } from "kysely";
import type { Database } from "@tessera/shared/db/schema";
import { TesseraError, invalidArgument } from "@tessera/shared/errors/tessera-error";
import { groupChangeRecord, organisationChangeRecord, principalChangeRecord } from "@tessera/shared/feed/change-records";
import type { ChangeRecord } from "@tessera/shared/gen/tessera/feed/v1/feed_pb";
import { findGroup } from "../../store/group-store.js";
import { findPrincipal } from "../../store/principal-store.js";
import { raiseGroupCutoff, raiseOrganisationCutoff, raisePrincipalCutoff } from "../../store/cutoff-store.js";
import { findOrganisation } from "../../store/organisation-store.js";
import type { AdminDeps } from "../admin-deps.js";
import { authorize, type Target } from "../access/authorize.js";
import type { Caller } from "../access/caller.js";
import { commitAwaitedChange } from "../commit-change.js";
import { groupTarget, organisationTarget, principalTarget } from "../identities/identities.js";
import type { AcknowledgedChange } from "../tokens/await-validators.js";

/** Whose tokens an incident stops. */
export type CutoffTarget =
  | { readonly kind: "principal"; readonly id: string }
  | { readonly kind: "group"; readonly id: string }
  | { readonly kind: "organisation"; readonly id: string };

export interface RevokeIssuedBeforeInput {
  readonly target: CutoffTarget;
  /** Unset: now. */
  readonly issuedBefore: Date | undefined;
  readonly reason: string | undefined;
}

export interface RevokedIssuedBefore extends AcknowledgedChange {
  /** The cut-off now in force for the target (whole seconds). */
  readonly tokensNotBefore: Date;
}

/** The audit action of an incident cut-off; a follower (webhooks, notices) announces it from the audit log. */
export const revokeIssuedBeforeAction = "tokens.revoke_issued_before";

/** Rounded up to whole seconds: validators compare whole seconds, and a token created in that second counts as before. */
function wholeSecondUp(at: Date): Date {
  return new Date(Math.ceil(at.getTime() / 1000) * 1000);
}

/** Where the target sits (for the authorization table); not_found when it does not exist. */
async function targetOf(trx: Transaction<Database>, target: CutoffTarget): Promise<Target> {
  const missing = () => new TesseraError("not_found", `${target.kind} ${target.id} not found`);
  switch (target.kind) {
    case "principal": {
      const row = await findPrincipal(trx, target.id);
      if (!row) throw missing();
      return principalTarget(row);
    }
    case "group": {
      const row = await findGroup(trx, target.id);
      if (!row) throw missing();
      return groupTarget(row);
    }
    case "organisation": {
      if (!(await findOrganisation(trx, target.id))) throw missing();
      return organisationTarget(target.id);
    }
  }
}

/** Raises the target's cut-off; returns the record validators must learn and the cut-off in force. */
async function raiseCutoff(trx: Transaction<Database>, target: CutoffTarget, at: Date): Promise<{ record: ChangeRecord; inForce: Date; organisationId: string }> {
  switch (target.kind) {
    case "principal": {
      const row = (await raisePrincipalCutoff(trx, target.id, at))!;
      return { record: principalChangeRecord(row), inForce: row.tokens_not_before!, organisationId: row.organisation_id };
    }
    case "group": {
      const row = (await raiseGroupCutoff(trx, target.id, at))!;
      return { record: groupChangeRecord(row), inForce: row.tokens_not_before!, organisationId: row.organisation_id };
    }
    case "organisation": {
      const row = (await raiseOrganisationCutoff(trx, target.id, at))!;
      return { record: organisationChangeRecord(row), inForce: row.tokens_not_before!, organisationId: row.id };
    }
  }
}

/**
 * Incident response in one change: every token of a principal, group or
 * organisation created before `issuedBefore` stops, on every surface, by one
 * row update — no token is enumerated. Validators compare each token's
 * creation time with the cut-offs of its owner, the owner's group and its
 * organisation; token-admin does the same when authenticating. The cut-off
 * only moves forward. Audited as `tokens.revoke_issued_before`; with
 * `awaitValidatorsMs`, returns once every live validator has applied it (as RevokeToken).
 */
export async function revokeIssuedBefore(deps: AdminDeps, caller: Caller, input: RevokeIssuedBeforeInput, awaitValidatorsMs = 0): Promise<RevokedIssuedBefore> {
  const now = deps.now();
  if (input.issuedBefore && input.issuedBefore.getTime() > now.getTime()) throw invalidArgument("issued_before", "must not be in the future");
  const at = wholeSecondUp(input.issuedBefore ?? now);
  const { result, seq, acknowledgement } = await commitAwaitedChange(deps, awaitValidatorsMs, async (trx, change) => {
    const { target } = input;
    const readRpc = target.kind === "principal" ? "GetPrincipal" : target.kind === "group" ? "GetGroup" : "GetOrganisation";
    authorize(caller, "RevokeIssuedBefore", await targetOf(trx, target), readRpc, `${target.kind} ${target.id}`);
    const raised = await raiseCutoff(trx, target, at);
    // An earlier instant than the one in force changes nothing: no feed record, but the attempt is audited.
    const changed = raised.inForce.getTime() === at.getTime();
    if (changed) {
      change.feed(raised.record);
      change.announce({
        type: "tokens.revoked_issued_before", organisationId: raised.organisationId, actorId: caller.principalId,
        principalId: target.kind === "principal" ? target.id : undefined,
        details: { target_kind: target.kind, target_id: target.id, tokens_not_before: raised.inForce.toISOString(), ...(input.reason ? { reason: input.reason } : {}) },
      });
    }
    change.audit({
      action: revokeIssuedBeforeAction, actorId: caller.principalId, actorTokenId: caller.tokenId, organisationId: raised.organisationId,
      principalId: target.kind === "principal" ? target.id : null, source: caller.source,
      details: {
        target_kind: target.kind, target_id: target.id, issued_before: at.toISOString(), tokens_not_before: raised.inForce.toISOString(),
        changed, ...(input.reason ? { reason: input.reason } : {}),
      },
    });
    return raised.inForce;
  });
  return { tokensNotBefore: result, seq, acknowledgement };
}
