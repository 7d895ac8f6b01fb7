import { isUniqueViolation } from "@tessera/shared/db/database-errors";
import { TesseraError } from "@tessera/shared/errors/tessera-error";
import { findGroup, renameGroup } from "../../store/group-store.js";
import type { AdminDeps } from "../admin-deps.js";
import { authorize } from "../access/authorize.js";
import type { Caller } from "../access/caller.js";
import { commitChange } from "../commit-change.js";
import { groupFromRow, groupTarget, type Group } from "./identities.js";

/** Renames a group. */
export async function updateGroup(deps: AdminDeps, caller: Caller, id: string, name: string): Promise<Group> {
  try {
    const { result } = await commitChange(deps, async (trx, change) => {
      const group = await findGroup(trx, id);
      if (!group) throw new TesseraError("not_found", `group ${id} not found`);
      authorize(caller, "UpdateGroup", groupTarget(group), "GetGroup", `group ${id}`);
      const row = await renameGroup(trx, id, name);
      change.audit({ action: "group.update", actorId: caller.principalId, actorTokenId: caller.tokenId, organisationId: group.organisation_id, source: caller.source, details: { group_id: id, name } });
      return row;
    });
    return groupFromRow(result);
  } catch (err) {
    if (isUniqueViolation(err)) throw new TesseraError("already_exists", `a group named "${name}" already exists in this organisation`);
    throw err;
  }
}
