import { isUniqueViolation } from "@tessera/shared/db/database-errors";
import { TesseraError } from "@tessera/shared/errors/tessera-error";
import { findOrganisation } from "../../store/organisation-store.js";
import { insertGroup } from "../../store/group-store.js";
import type { AdminDeps } from "../admin-deps.js";
import { authorize } from "../access/authorize.js";
import type { Caller } from "../access/caller.js";
import { commitChange } from "../commit-change.js";
import { groupFromRow, organisationTarget, type Group } from "./identities.js";

/** Creates a group in an organisation (undefined: the caller's). */
export async function createGroup(deps: AdminDeps, caller: Caller, organisationId: string | undefined, name: string): Promise<Group> {
  const orgId = organisationId ?? caller.organisationId;
  try {
    const { result } = await commitChange(deps, async (trx, change) => {
      if (!(await findOrganisation(trx, orgId))) throw new TesseraError("not_found", `organisation ${orgId} not found`);
      authorize(caller, "CreateGroup", organisationTarget(orgId), "GetOrganisation", `organisation ${orgId}`);
      const row = await insertGroup(trx, { organisation_id: orgId, name });
      change.audit({ action: "group.create", actorId: caller.principalId, actorTokenId: caller.tokenId, organisationId: orgId, source: caller.source, details: { group_id: row.id, name } });
      return row;
    });
    return groupFromRow(result);
  } catch (err) {
    if (isUniqueViolation(err)) throw new TesseraError("already_exists", `a group named "${name}" already exists in this organisation`);
    throw err;
  }
}
