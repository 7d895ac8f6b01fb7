import type { TokenKindColumn, TokenLevelName } from "@tessera/shared/db/schema";
import { listTokens as listTokenRows, type TokenFilter, type TokenStatusFilter } from "../../store/token-store.js";
import type { AdminDeps } from "../admin-deps.js";
import { reachOf } from "../access/authorize.js";
import type { Caller } from "../access/caller.js";
import { emptyPage, pageOf, type Page, type PageRequest } from "../paging/page.js";
import { decodePageToken } from "../paging/page-token.js";
import { tokenFromRow, type Token } from "./token.js";

export interface ListTokensInput extends PageRequest {
  readonly ownerId?: string | undefined;
  readonly organisationId?: string | undefined;
  readonly groupId?: string | undefined;
  readonly level?: TokenLevelName | undefined;
  readonly kind?: TokenKindColumn | undefined;
  readonly status?: TokenStatusFilter | undefined;
  readonly createdBy?: string | undefined;
  readonly nameContains?: string | undefined;
  readonly expiresBefore?: Date | undefined;
  /** Honeytokens are listed apart: true lists only them, otherwise they are left out. */
  readonly honeytokens?: boolean | undefined;
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
    kind: input.kind,
    status: input.status,
    createdBy: input.createdBy,
    nameContains: input.nameContains,
    expiresBefore: input.expiresBefore,
    honeytokens: input.honeytokens ?? false,
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
export async function listTokens(deps: AdminDeps, caller: Caller, input: ListTokensInput): Promise<Page<Token>> {
  decodePageToken("tokens", input.pageToken); // refuse a bad token even when the page would be empty
  const filter = visibleFilter(caller, input);
  if (!filter) return emptyPage;
  const now = deps.now();
  return pageOf("tokens", input, (after, limit) => listTokenRows(deps.db, filter, after, limit, now), (row) => tokenFromRow(row, now));
}
