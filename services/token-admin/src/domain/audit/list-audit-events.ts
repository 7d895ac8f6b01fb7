import { invalidArgument } from "@tessera/shared/errors/tessera-error";
import type { AuditRow } from "@tessera/shared/db/schema";
import { toBigInt } from "@tessera/shared/db/database";
import { listAuditEvents as listAuditRows, type AuditFilter } from "../../store/audit-store.js";
import type { AdminDeps } from "../admin-deps.js";
import { reachOf } from "../access/authorize.js";
import type { Caller } from "../access/caller.js";
import type { Page, PageRequest } from "../paging/page.js";

export interface ListAuditEventsInput extends PageRequest {
  readonly actorId?: string | undefined;
  readonly tokenId?: string | undefined;
  readonly organisationId?: string | undefined;
  readonly principalId?: string | undefined;
  readonly action?: string | undefined;
  readonly from?: Date | undefined;
  readonly until?: Date | undefined;
}

// Audit pages are ordered by id alone; the page token is that id, opaque to callers.
const maxBigint = 2n ** 63n - 1n;
const encodeAfter = (id: bigint) => Buffer.from(`audit|${id}`).toString("base64url");
function decodeAfter(token: string): bigint | undefined {
  if (token === "") return undefined;
  const match = /^audit\|(\d{1,19})$/.exec(Buffer.from(token, "base64url").toString("utf8"));
  const id = match ? BigInt(match[1]!) : -1n;
  if (id < 0n || id > maxBigint) throw invalidArgument("page_token", "is not a page token this server issued");
  return id;
}

/**
 * Who did what, when, from where — newest first. The admin sees everything; an
 * org admin its organisation; a group admin what concerns its group's
 * principals; a member what it did or what concerns it.
 */
export async function listAuditEvents(deps: AdminDeps, caller: Caller, input: ListAuditEventsInput): Promise<Page<AuditRow>> {
  const before = decodeAfter(input.pageToken);
  const filter: AuditFilter = { ...input };
  switch (reachOf(caller, "ListAuditEvents")) {
    case "all":
      break;
    case "organisation":
      if (filter.organisationId && filter.organisationId !== caller.organisationId) return { items: [], nextPageToken: "" };
      filter.organisationId = caller.organisationId;
      break;
    case "group":
      if (caller.groupId === undefined) return { items: [], nextPageToken: "" };
      filter.organisationId = caller.organisationId;
      filter.principalGroupId = caller.groupId;
      break;
    case "own":
      filter.involving = caller.principalId;
      break;
    case "none":
      return { items: [], nextPageToken: "" };
  }
  const rows = await listAuditRows(deps.db, filter, before, input.pageSize + 1);
  const page = rows.slice(0, input.pageSize);
  const last = page.at(-1);
  return { items: page, nextPageToken: rows.length > input.pageSize && last ? encodeAfter(toBigInt(last.id)) : "" };
}
