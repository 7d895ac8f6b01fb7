import type { AuditRow } from "@tessera/shared/db/schema";
import { listAuditEvents as listAuditRows, type AuditFilter } from "../../store/audit-store.js";
import type { AdminDeps } from "../admin-deps.js";
import { reachOf } from "../access/authorize.js";
import type { Caller } from "../access/caller.js";
import { emptyPage, pageOf, type Page, type PageRequest } from "../paging/page.js";
import { decodePageToken } from "../paging/page-token.js";

export interface ListAuditEventsInput extends PageRequest {
  readonly actorId?: string | undefined;
  readonly tokenId?: string | undefined;
  readonly organisationId?: string | undefined;
  readonly principalId?: string | undefined;
  readonly action?: string | undefined;
  readonly from?: Date | undefined;
  readonly until?: Date | undefined;
}

/**
 * Who did what, when, from where — newest first. The admin sees everything; an
 * org admin its organisation; a group admin what concerns its group's
 * principals; a member what it did or what concerns it.
 */
export async function listAuditEvents(deps: AdminDeps, caller: Caller, input: ListAuditEventsInput): Promise<Page<AuditRow>> {
  decodePageToken("audit", input.pageToken); // refuse a bad token even when the page would be empty
  const filter: AuditFilter = { ...input };
  switch (reachOf(caller, "ListAuditEvents")) {
    case "all":
      break;
    case "organisation":
      if (filter.organisationId && filter.organisationId !== caller.organisationId) return emptyPage;
      filter.organisationId = caller.organisationId;
      break;
    case "group":
      if (caller.groupId === undefined) return emptyPage;
      filter.organisationId = caller.organisationId;
      filter.principalGroupId = caller.groupId;
      break;
    case "own":
      filter.involving = caller.principalId;
      break;
    case "none":
      return emptyPage;
  }
  return pageOf("audit", input, (after, limit) => listAuditRows(deps.db, filter, after, limit), (row) => row);
}
