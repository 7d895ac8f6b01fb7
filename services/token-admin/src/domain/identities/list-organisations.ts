import { listOrganisations as listOrganisationRows } from "../../store/organisation-store.js";
import type { AdminDeps } from "../admin-deps.js";
import { reachOf } from "../access/authorize.js";
import type { Caller } from "../access/caller.js";
import { organisationFromRow, type Organisation } from "./identities.js";
import { pageOf, type Page, type PageRequest } from "../paging/page.js";

/** Every organisation for the admin; its own for anyone else. Newest first. */
export async function listOrganisations(deps: AdminDeps, caller: Caller, page: PageRequest): Promise<Page<Organisation>> {
  const onlyId = reachOf(caller, "ListOrganisations") === "all" ? undefined : caller.organisationId;
  return pageOf("organisations", page, (after, limit) => listOrganisationRows(deps.db, onlyId, after, limit), organisationFromRow);
}
