import { TesseraError } from "@tessera/shared/errors/tessera-error";
import { findGroup } from "../../store/group-store.js";
import type { AdminDeps } from "../admin-deps.js";
import { authorize } from "../access/authorize.js";
import type { Caller } from "../access/caller.js";
import { groupFromRow, groupTarget, type Group } from "./identities.js";

/** A group the caller may see; not_found otherwise. */
export async function getGroup(deps: AdminDeps, caller: Caller, id: string): Promise<Group> {
  const row = await findGroup(deps.db, id);
  if (!row) throw new TesseraError("not_found", `group ${id} not found`);
  authorize(caller, "GetGroup", groupTarget(row), "GetGroup", `group ${id}`);
  return groupFromRow(row);
}
