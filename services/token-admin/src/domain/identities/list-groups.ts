import { listGroups as listGroupRows } from "../../store/group-store.js";
import type { AdminDeps } from "../admin-deps.js";
import { reachOf, reaches } from "../access/authorize.js";
import type { Caller } from "../access/caller.js";
import { groupFromRow, organisationTarget, type Group } from "./identities.js";
import { emptyPage, pageOf, type Page, type PageRequest } from "../paging/page.js";
import { decodePageToken } from "../paging/page-token.js";

/** An organisation's groups (undefined: the caller's) that the caller may see. Newest first. */
export async function listGroups(deps: AdminDeps, caller: Caller, organisationId: string | undefined, page: PageRequest): Promise<Page<Group>> {
  decodePageToken("groups", page.pageToken);
  const orgId = organisationId ?? caller.organisationId;
  const reach = reachOf(caller, "ListGroups");
  // Group reach sees only the caller's own group; outside the organisation, nothing.
  if (!reaches(reach === "group" ? "organisation" : reach, caller, organisationTarget(orgId))) return emptyPage;
  if (reach === "group" && caller.groupId === undefined) return emptyPage;
  const onlyId = reach === "group" ? caller.groupId : undefined;
  return pageOf("groups", page, (after, limit) => listGroupRows(deps.db, orgId, onlyId, after, limit), groupFromRow);
}
