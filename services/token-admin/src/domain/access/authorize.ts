import type { Role } from "@tessera/shared/db/schema";
import { TesseraError } from "@tessera/shared/errors/tessera-error";
import type { Caller } from "./caller.js";

/**
 * How far a role reaches for one RPC:
 * - all: anything in the instance;
 * - organisation: targets in the caller's organisation;
 * - group: targets whose principal is in the caller's group;
 * - own: targets the caller owns (its tokens, itself);
 * - none: never.
 */
export type Reach = "all" | "organisation" | "group" | "own" | "none";

/** What an RPC acts on, described by where it sits, not by what it is. */
export interface Target {
  readonly organisationId: string;
  /** The group of the principal concerned (a token's owner, or the principal itself). */
  readonly groupId: string | null;
  /** The principal concerned: a token's owner, or the principal itself. */
  readonly principalId: string | null;
}

// Shorthands for the rows below: [admin, org_admin, group_admin, member].
const row = (admin: Reach, orgAdmin: Reach, groupAdmin: Reach, member: Reach): Record<Role, Reach> => ({
  admin,
  org_admin: orgAdmin,
  group_admin: groupAdmin,
  member,
});
const tokens = row("all", "organisation", "group", "own");
const administers = row("all", "organisation", "group", "none");

/**
 * The one table that authorises every admin RPC: a row per RPC, a column per
 * role. Group-level tokens belong to a technical principal in the group and
 * org-level ones to a principal in no group, so "group" reach excludes org
 * tokens by construction. SignIn needs no caller and is not here. Beyond reach,
 * two rules hold everywhere: a caller grants no role above its own reach and no
 * scope it does not hold (see grants.ts).
 */
export const authorizationTable = {
  CreateToken: tokens,
  GetToken: tokens,
  ListTokens: tokens,
  RevokeToken: tokens,
  DisableToken: tokens,
  DisableTokens: tokens,
  EnableToken: tokens,
  DeleteTokens: tokens,
  RegenerateToken: tokens,
  // Exchanges the very token presented: always the caller's own.
  ExchangeToken: row("own", "own", "own", "own"),
  GetCaller: row("own", "own", "own", "own"),

  CreateOrganisation: row("all", "none", "none", "none"),
  UpdateOrganisation: row("all", "organisation", "none", "none"),
  GetOrganisation: row("all", "organisation", "organisation", "organisation"),
  ListOrganisations: row("all", "organisation", "organisation", "organisation"),

  CreateGroup: row("all", "organisation", "none", "none"),
  UpdateGroup: row("all", "organisation", "none", "none"),
  GetGroup: row("all", "organisation", "group", "group"),
  ListGroups: row("all", "organisation", "group", "group"),

  CreatePrincipal: administers,
  UpdatePrincipal: administers,
  GetPrincipal: tokens,
  ListPrincipals: tokens,
  // Reach as CreateToken's; within it, only principals the caller may act for.
  ListTokenOwners: tokens,

  ListAuditEvents: tokens,
  // Leak response: whose is a found value? Administrators, within their reach.
  IdentifyToken: administers,
  // Instance-wide facts (validator ids, feed positions), no secrets: for administrators above a group.
  ListValidators: row("all", "all", "none", "none"),

  // Webhook endpoints: the instance's (no organisation) for admins, an organisation's for its org admins too.
  CreateWebhookEndpoint: row("all", "organisation", "none", "none"),
  ListWebhookEndpoints: row("all", "organisation", "none", "none"),
  UpdateWebhookEndpoint: row("all", "organisation", "none", "none"),
  DeleteWebhookEndpoint: row("all", "organisation", "none", "none"),
  RotateWebhookSecret: row("all", "organisation", "none", "none"),
  ListWebhookDeliveries: row("all", "organisation", "none", "none"),
  ReplayWebhookDeliveries: row("all", "organisation", "none", "none"),
  // Incident response: a principal (members only themselves), a group (its
  // group admins), an organisation (its org admins). Reach as the tokens it stops.
  RevokeIssuedBefore: tokens,
} as const satisfies Record<string, Record<Role, Reach>>;

export type AdminRpc = keyof typeof authorizationTable;

/** Whether `reach` extends from `caller` to `target`. */
export function reaches(reach: Reach, caller: Caller, target: Target): boolean {
  switch (reach) {
    case "all":
      return true;
    case "organisation":
      return target.organisationId === caller.organisationId;
    case "group":
      return (
        target.organisationId === caller.organisationId &&
        caller.groupId !== undefined &&
        target.groupId === caller.groupId
      );
    case "own":
      return target.principalId === caller.principalId;
    case "none":
      return false;
  }
}

/** The caller's reach for an RPC. */
export function reachOf(caller: Caller, rpc: AdminRpc): Reach {
  return authorizationTable[rpc][caller.role];
}

/**
 * Throws unless the caller may call `rpc` on `target`. A target the caller may
 * not even read (`readRpc`) is reported as not found, so its existence is not revealed.
 */
export function authorize(caller: Caller, rpc: AdminRpc, target: Target, readRpc: AdminRpc, what: string): void {
  if (!reaches(reachOf(caller, readRpc), caller, target)) throw new TesseraError("not_found", `${what} not found`);
  if (!reaches(reachOf(caller, rpc), caller, target)) {
    throw new TesseraError("permission_denied", `${rpc} is not allowed on this ${what.split(" ")[0]}`);
  }
}
