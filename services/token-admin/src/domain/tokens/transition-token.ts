import type { TokenRow, TokenUpdate } from "@tessera/shared/db/schema";
import { TesseraError } from "@tessera/shared/errors/tessera-error";
import { tokenChangeRecord } from "@tessera/shared/feed/change-records";
import type { EventName } from "@tessera/shared/feed/announcements";
import type { Transaction } from "kysely";
import type { Database } from "@tessera/shared/db/schema";
import { lockToken, lockTokens, updateToken } from "../../store/token-store.js";
import type { AdminDeps } from "../admin-deps.js";
import type { AdminRpc } from "../access/authorize.js";
import type { AcknowledgedChange } from "./await-validators.js";
import type { Caller } from "../access/caller.js";
import { commitAwaitedChange, type PendingChange } from "../commit-change.js";
import { tokenFromRow, type Token } from "./token.js";
import { authorizeOnToken } from "./token-access.js";

/** One state change of a token: revoke, disable, enable. */
export interface Transition {
  readonly rpc: AdminRpc;
  /** The audit action, e.g. "token.revoke". */
  readonly action: string;
  /** What webhooks hear of it. */
  readonly event: EventName;
  /** Already in the target state: nothing is written (the call is idempotent). */
  readonly done: (token: TokenRow) => boolean;
  /** Refuses the change (failed_precondition) with this message, or undefined to allow it. */
  readonly refuse?: (token: TokenRow) => string | undefined;
  readonly update: (now: Date, caller: Caller) => TokenUpdate;
}

export interface TransitionedToken extends AcknowledgedChange {
  readonly token: Token;
}

/** Inside the transaction, on a row already locked and authorised: the change, its audit row and feed record. */
async function apply(trx: Transaction<Database>, change: PendingChange, caller: Caller, token: TokenRow, transition: Transition, now: Date): Promise<TokenRow> {
  if (transition.done(token)) return token;
  const refusal = transition.refuse?.(token);
  if (refusal) throw new TesseraError("failed_precondition", refusal);
  const updated = await updateToken(trx, token.id, transition.update(now, caller));
  change.feed(tokenChangeRecord(updated));
  change.audit({
    action: transition.action, actorId: caller.principalId, actorTokenId: caller.tokenId,
    organisationId: updated.organisation_id, tokenId: token.id, principalId: updated.owner_id, source: caller.source,
  });
  change.announce({
    type: transition.event, organisationId: updated.organisation_id, token: updated, actorId: caller.principalId,
    details: updated.revocation_reason && transition.event === "token.revoked" ? { reason: updated.revocation_reason } : undefined,
  });
  return updated;
}

/** Applies a transition under the token's row lock, with its audit row and feed record, then optionally waits for validators. */
export async function transitionToken(deps: AdminDeps, caller: Caller, id: string, transition: Transition, awaitValidatorsMs = 0): Promise<TransitionedToken> {
  const now = deps.now();
  const { result, seq, acknowledgement } = await commitAwaitedChange(deps, awaitValidatorsMs, async (trx, change) => {
    const { token } = await authorizeOnToken(trx, caller, transition.rpc, id, await lockToken(trx, id));
    return apply(trx, change, caller, token, transition, now);
  });
  return { token: tokenFromRow(result, now), seq, acknowledgement };
}

export interface TransitionedTokens extends AcknowledgedChange {
  readonly tokens: readonly Token[];
}

/**
 * One transition on several tokens, all or nothing: every id must exist, be the
 * caller's to change and allow the change, or nothing is written. One feed position for all.
 */
export async function transitionTokens(deps: AdminDeps, caller: Caller, ids: readonly string[], transition: Transition, awaitValidatorsMs = 0): Promise<TransitionedTokens> {
  const now = deps.now();
  const { result, seq, acknowledgement } = await commitAwaitedChange(deps, awaitValidatorsMs, async (trx, change) => {
    const locked = new Map((await lockTokens(trx, ids)).map((row) => [row.id, row]));
    const rows: TokenRow[] = [];
    for (const id of ids) rows.push((await authorizeOnToken(trx, caller, transition.rpc, id, locked.get(id))).token);
    const updated: TokenRow[] = [];
    for (const row of rows) updated.push(await apply(trx, change, caller, row, transition, now));
    return updated;
  });
  return { tokens: result.map((row) => tokenFromRow(row, now)), seq, acknowledgement };
}
