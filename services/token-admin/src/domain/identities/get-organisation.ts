import { TesseraError } from "@tessera/shared/errors/tessera-error";
import { findOrganisation } from "../../store/organisation-store.js";
import type { AdminDeps } from "../admin-deps.js";
import { authorize } from "../access/authorize.js";
import type { Caller } from "../access/caller.js";
import { organisationFromRow, organisationTarget, type Organisation } from "./identities.js";

/** An organisation the caller belongs to (or any, for the admin); undefined id: the caller's own. */
export async function getOrganisation(deps: AdminDeps, caller: Caller, id: string | undefined): Promise<Organisation> {
  const organisationId = id ?? caller.organisationId;
  const row = await findOrganisation(deps.db, organisationId);
  if (!row) throw new TesseraError("not_found", `organisation ${organisationId} not found`);
  authorize(caller, "GetOrganisation", organisationTarget(organisationId), "GetOrganisation", `organisation ${organisationId}`);
  return organisationFromRow(row);
}
