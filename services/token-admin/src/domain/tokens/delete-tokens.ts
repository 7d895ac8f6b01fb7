import { invalidArgument } from "@tessera/shared/errors/tessera-error";
import { principalChangeRecord, tokenChangeRecord } from "@tessera/shared/feed/change-records";
import { findPrincipal, updatePrincipal } from "../../store/principal-store.js";
import { lockTokens, updateToken } from "../../store/token-store.js";
import type { AdminDeps } from "../admin-deps.js";
import { awaitValidators, type AcknowledgedChange } from "./await-validators.js";
import type { Caller } from "../access/caller.js";
import { commitChange } from "../commit-change.js";
import { authorizeOnToken } from "./token-access.js";

export interface DeletedTokens extends AcknowledgedChange {
  readonly deletedCount: number;
}

/**
 * Deletes several tokens at once, all or nothing: every id must exist and be
 * the caller's to delete, or nothing changes. Deleted tokens vanish from
 * listings and stop working; the audit log keeps their history. The technical
 * user the system made for a group or org token goes (disabled) with it.
 */
export async function deleteTokens(deps: AdminDeps, caller: Caller, ids: readonly string[], awaitValidatorsMs = 0): Promise<DeletedTokens> {
  if (ids.length === 0) throw invalidArgument("token_ids", "at least one id");
  const now = deps.now();
  const { seq } = await commitChange(deps, async (trx, change) => {
    const locked = new Map((await lockTokens(trx, ids)).map((row) => [row.id, row]));
    for (const id of ids) await authorizeOnToken(trx, caller, "DeleteTokens", id, locked.get(id));
    for (const id of ids) {
      const deleted = await updateToken(trx, id, { deleted_at: now, deleted_by: caller.principalId });
      change.feed(tokenChangeRecord(deleted));
      change.audit({
        action: "token.delete", actorId: caller.principalId, actorTokenId: caller.tokenId, organisationId: deleted.organisation_id,
        tokenId: id, principalId: deleted.owner_id, source: caller.source, details: { name: deleted.name },
      });
      if (deleted.level !== "user") {
        const owner = await findPrincipal(trx, deleted.owner_id);
        if (owner?.system_managed && !owner.disabled_at) {
          change.feed(principalChangeRecord(await updatePrincipal(trx, owner.id, { disabled_at: now, updated_at: now })));
        }
      }
    }
  });
  return { deletedCount: ids.length, seq, acknowledgement: await awaitValidators(deps, seq, awaitValidatorsMs) };
}
