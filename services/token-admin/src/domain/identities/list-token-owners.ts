import type { PrincipalRow } from "@tessera/shared/db/schema";
import { TesseraError } from "@tessera/shared/errors/tessera-error";
import { findOrganisation } from "../../store/organisation-store.js";
import { listTokenOwners as listTokenOwnerRows, type TokenOwnerFilter } from "../../store/principal-store.js";
import type { AdminDeps } from "../admin-deps.js";
import { reachOf } from "../access/authorize.js";
import type { Caller } from "../access/caller.js";
import { actableRoles, assertMayActFor } from "../access/grants.js";
import { principalFromRow, type Principal } from "./identities.js";

export interface ListTokenOwnersInput {
  /** Undefined: the caller's. */
  readonly organisationId: string | undefined;
  readonly nameContains: string | undefined;
  readonly limit: number;
}

function mayActFor(caller: Caller, owner: PrincipalRow): boolean {
  try {
    assertMayActFor(caller, owner, "owner");
    return true;
  } catch {
    return false;
  }
}

/**
 * Whom the caller may create a USER token for: principals it can reach for
 * CreateToken and may act for, active, not system-managed, and technical where
 * the organisation issues tokens to technical users only. By name. The same
 * rules CreateToken applies, so the picker never offers an owner it refuses.
 */
export async function listTokenOwners(deps: AdminDeps, caller: Caller, input: ListTokenOwnersInput): Promise<Principal[]> {
  const organisationId = input.organisationId ?? caller.organisationId;
  const reach = reachOf(caller, "CreateToken");
  if (reach === "none" || (reach !== "all" && organisationId !== caller.organisationId)) return [];
  const organisation = await findOrganisation(deps.db, organisationId);
  if (!organisation) throw new TesseraError("not_found", `organisation ${organisationId} not found`);
  const filter: TokenOwnerFilter = {
    organisationId,
    roles: actableRoles(caller),
    selfId: caller.principalId,
    technicalOnly: organisation.technical_users_only,
    nameContains: input.nameContains,
  };
  if (reach === "group") {
    if (caller.groupId === undefined) return [];
    filter.groupId = caller.groupId;
  }
  if (reach === "own") filter.onlyId = caller.principalId;
  const rows = await listTokenOwnerRows(deps.db, filter, input.limit);
  // The query narrows by role already; checking each row with the rule itself keeps the two from drifting apart.
  return rows.filter((row) => mayActFor(caller, row)).map(principalFromRow);
}
