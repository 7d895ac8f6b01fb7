import { TesseraError } from "@tessera/shared/errors/tessera-error";
import { findPrincipal } from "../../store/principal-store.js";
import type { AdminDeps } from "../admin-deps.js";
import { authorize } from "../access/authorize.js";
import type { Caller } from "../access/caller.js";
import { principalFromRow, principalTarget, type Principal } from "./identities.js";

/** A principal the caller may see; not_found otherwise. */
export async function getPrincipal(deps: AdminDeps, caller: Caller, id: string): Promise<Principal> {
  const row = await findPrincipal(deps.db, id);
  if (!row) throw new TesseraError("not_found", `principal ${id} not found`);
  authorize(caller, "GetPrincipal", principalTarget(row), "GetPrincipal", `principal ${id}`);
  return principalFromRow(row);
}
