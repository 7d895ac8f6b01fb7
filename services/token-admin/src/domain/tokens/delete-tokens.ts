import { invalidArgument } from "@tessera/shared/errors/tessera-error";
import { principalChangeRecord, tokenChangeRecord } from "@tessera/shared/feed/change-records";
import { disableSystemPrincipals, findPrincipals } from "../../store/principal-store.js";
import { lockTokens, markTokensDeleted } from "../../store/token-store.js";
import type { AdminDeps } from "../admin-deps.js";
import type { AcknowledgedChange } from "./await-validators.js";
import type { Caller } from "../access/caller.js";
import { commitAwaitedChange } from "../commit-change.js";
import { authorizeOnTokenOf } from "./token-access.js";

export interface DeletedTokens extends AcknowledgedChange {
  readonly deletedCount: number;
}

/**
 * Deletes several tokens at once, all or nothing: every id must exist and be
 * the caller's to delete, or nothing changes. Deleted tokens vanish from
 * listings and stop working; the audit log keeps their history. The technical
 * user the system made for a group or org token goes with it: disabled here,
 * removed from validators once no token in use refers to it.
 * The same few statements whatever the count: lock, owners, delete, disable,
 * then commitChange's audit rows and feed entry.
 */
export async function deleteTokens(deps: AdminDeps, caller: Caller, ids: readonly string[], awaitValidatorsMs = 0): Promise<DeletedTokens> {
  if (ids.length === 0) throw invalidArgument("token_ids", "at least one id");
  const now = deps.now();
  const { seq, acknowledgement } = await commitAwaitedChange(deps, awaitValidatorsMs, async (trx, change) => {
    const locked = new Map((await lockTokens(trx, ids)).map((row) => [row.id, row]));
    const owners = new Map((await findPrincipals(trx, [...new Set([...locked.values()].map((row) => row.owner_id))])).map((row) => [row.id, row]));
    for (const id of ids) {
      const token = locked.get(id);
      authorizeOnTokenOf(caller, "DeleteTokens", id, token, token && owners.get(token.owner_id));
    }
    const byId = new Map((await markTokensDeleted(trx, ids, caller.principalId, now)).map((row) => [row.id, row]));
    const deleted = ids.map((id) => byId.get(id)!); // in the order asked, as the audit rows read
    for (const token of deleted) {
      change.feed(tokenChangeRecord(token));
      change.audit({
        action: "token.delete", actorId: caller.principalId, actorTokenId: caller.tokenId, organisationId: token.organisation_id,
        tokenId: token.id, principalId: token.owner_id, source: caller.source, details: { name: token.name },
      });
      change.announce({ type: "token.deleted", organisationId: token.organisation_id, token, actorId: caller.principalId });
    }
    const systemOwners = deleted.filter((token) => token.level !== "user").map((token) => token.owner_id);
    // The row stays (the deleted token's row and the audit log name it); validators let it go.
    for (const { unreferenced, ...owner } of await disableSystemPrincipals(trx, systemOwners, now)) change.feed(principalChangeRecord(owner, unreferenced));
  });
  return { deletedCount: ids.length, seq, acknowledgement };
}
