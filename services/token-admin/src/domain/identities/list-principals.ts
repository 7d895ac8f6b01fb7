import type { PrincipalKind } from "@tessera/shared/db/schema";
import { listPrincipals as listPrincipalRows, type PrincipalFilter } from "../../store/principal-store.js";
import type { AdminDeps } from "../admin-deps.js";
import { reachOf } from "../access/authorize.js";
import type { Caller } from "../access/caller.js";
import { principalFromRow, type Principal } from "./identities.js";
import { emptyPage, pageOf, type Page, type PageRequest } from "../paging/page.js";
import { decodePageToken } from "../paging/page-token.js";

export interface ListPrincipalsInput extends PageRequest {
  readonly organisationId: string | undefined;
  readonly groupId: string | undefined;
  readonly kind: PrincipalKind | undefined;
}

/** The principals the caller may see, narrowed by the request; newest first. */
export async function listPrincipals(deps: AdminDeps, caller: Caller, input: ListPrincipalsInput): Promise<Page<Principal>> {
  decodePageToken("principals", input.pageToken);
  const filter: PrincipalFilter = { organisationId: input.organisationId ?? caller.organisationId, groupId: input.groupId, kind: input.kind };
  const reach = reachOf(caller, "ListPrincipals");
  if (reach !== "all" && filter.organisationId !== caller.organisationId) return emptyPage;
  if (reach === "group") {
    if (caller.groupId === undefined || (filter.groupId !== undefined && filter.groupId !== caller.groupId)) return emptyPage;
    filter.groupId = caller.groupId;
  }
  if (reach === "own") filter.onlyId = caller.principalId;
  if (reach === "none") return emptyPage;
  return pageOf("principals", input, (after, limit) => listPrincipalRows(deps.db, filter, after, limit), principalFromRow);
}
