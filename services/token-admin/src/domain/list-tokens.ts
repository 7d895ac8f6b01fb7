import type { TokenLevelName } from "@tessera/shared/db/schema";
import { listTokens as listTokenRows, type TokenFilter, type TokenStatusFilter } from "../store/token-store.js";
import type { AdminDeps } from "./admin-deps.js";
import { reachOf } from "./authorize.js";
import type { Caller } from "./caller.js";
import { decodePageToken, encodePageToken } from "./page-token.js";
import { tokenFromRow, type Token } from "./token.js";

export interface ListTokensInput {
  readonly pageSize: number;
  readonly pageToken: string;
  readonly ownerId?: string | undefined;
  readonly organisationId?: string | undefined;
  readonly groupId?: string | undefined;
  readonly level?: TokenLevelName | undefined;
  readonly status?: TokenStatusFilter | undefined;
  readonly createdBy?: string | undefined;
  readonly nameContains?: string | undefined;
  readonly expiresBefore?: Date | undefined;
}

export interface TokenPage {
  readonly tokens: readonly Token[];
  /** Empty on the last page. */
  readonly nextPageToken: string;
}

/**
 * Narrows a requested filter to what the caller may see. Undefined when the two
 * cannot both hold (e.g. another organisation's tokens): the page is empty.
 */
function visibleFilter(caller: Caller, input: ListTokensInput): TokenFilter | undefined {
  const filter: TokenFilter = {
    organisationId: input.organisationId,
    ownerGroupId: input.groupId,
    ownerId: input.ownerId,
    level: input.level,
    status: input.status,
    createdBy: input.createdBy,
    nameContains: input.nameContains,
    expiresBefore: input.expiresBefore,
  };
  const narrow = (key: "organisationId" | "ownerGroupId" | "ownerId", value: string | undefined): boolean => {
    if (value === undefined || (filter[key] !== undefined && filter[key] !== value)) return false;
    filter[key] = value;
    return true;
  };
  switch (reachOf(caller, "ListTokens")) {
    case "all":
      return filter;
    case "organisation":
      return narrow("organisationId", caller.organisationId) ? filter : undefined;
    case "group":
      return narrow("organisationId", caller.organisationId) && narrow("ownerGroupId", caller.groupId) ? filter : undefined;
    case "own":
      return narrow("ownerId", caller.principalId) ? filter : undefined;
    case "none":
      return undefined;
  }
}

/** A page of the tokens the caller may see, newest first. */
export async function listTokens(deps: AdminDeps, caller: Caller, input: ListTokensInput): Promise<TokenPage> {
  const after = decodePageToken(input.pageToken);
  const filter = visibleFilter(caller, input);
  if (!filter) return { tokens: [], nextPageToken: "" };
  const now = deps.now();
  // One extra row tells whether another page exists without a count query.
  const rows = await listTokenRows(deps.db, filter, after && { createdAt: after.at, id: after.id }, input.pageSize + 1, now);
  const page = rows.slice(0, input.pageSize);
  const last = page.at(-1);
  return {
    tokens: page.map((row) => tokenFromRow(row, now)),
    nextPageToken: rows.length > input.pageSize && last ? encodePageToken({ at: last.created_at, id: last.id }) : "",
  };
}
