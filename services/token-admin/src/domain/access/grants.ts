import type { PrincipalRow, Role } from "@tessera/shared/db/schema";
import { TesseraError, invalidArgument } from "@tessera/shared/errors/tessera-error";
import { allScopes, isWellFormedScope, maxScopes } from "@tessera/shared/token/scope";
import type { Caller } from "./caller.js";
import { holdsScope } from "../tokens/scopes.js";

// Delegation: nobody hands out more than they have. These rules sit beside the
// authorization table and apply to every RPC that gives a role or scopes.

/** The roles each role may give. The built-in admin role comes only from an admin. */
const grantableRoles: Record<Role, readonly Role[]> = {
  admin: ["admin", "org_admin", "group_admin", "member"],
  org_admin: ["org_admin", "group_admin", "member"],
  group_admin: ["member"],
  member: [],
};

/** Throws permission_denied unless `caller` may give `role`. */
export function assertMayGrantRole(caller: Caller, role: Role, field: string): void {
  if (!grantableRoles[caller.role].includes(role)) {
    throw new TesseraError("permission_denied", `${field}: a ${caller.role} cannot grant the ${role} role`);
  }
}

const rank: Record<Role, number> = { member: 0, group_admin: 1, org_admin: 2, admin: 3 };

/**
 * The roles of the (person-made) principals the caller may act for, besides
 * itself: exactly those it could grant. The owner picker lists by this;
 * assertMayActFor decides by it.
 */
export function actableRoles(caller: Caller): readonly Role[] {
  return grantableRoles[caller.role];
}

/**
 * Throws permission_denied unless the caller may act for `owner` — create,
 * change or regenerate its tokens, each of which hands out the owner's role.
 * It may for itself and for anyone whose role it could grant; a system-managed
 * owner (the technical user behind a group or org token) holds the level's
 * role, which a caller reaching that group or organisation already has.
 */
export function assertMayActFor(caller: Caller, owner: PrincipalRow, field: string): void {
  if (owner.id === caller.principalId) return;
  if (owner.system_managed ? rank[owner.role] <= rank[caller.role] : actableRoles(caller).includes(owner.role)) return;
  throw new TesseraError("permission_denied", `${field}: a ${caller.role} cannot act for a principal with the ${owner.role} role`);
}

/**
 * Checks a principal's permission list: well formed ("*" allowed), no repeats,
 * in the catalog when there is one. Throws invalid_argument naming the entry.
 */
export function checkPermissions(permissions: readonly string[], catalog: readonly string[], field: string): void {
  if (permissions.length > maxScopes) throw invalidArgument(field, `at most ${maxScopes} entries`);
  const seen = new Set<string>();
  permissions.forEach((scope, i) => {
    const at = `${field}[${i}]`;
    if (scope !== allScopes && !isWellFormedScope(scope)) throw invalidArgument(at, "must look like resource:action, or be *");
    if (seen.has(scope)) throw invalidArgument(at, `"${scope}" is repeated`);
    seen.add(scope);
    if (scope !== allScopes && catalog.length > 0 && !catalog.includes(scope)) {
      throw invalidArgument(at, `"${scope}" is not in the organisation's scope catalog`);
    }
  });
}

/** Throws permission_denied unless the caller holds every scope it grants ("*" only from a holder of "*"). */
export function assertMayGrantScopes(caller: Caller, scopes: readonly string[], field: string): void {
  scopes.forEach((scope, i) => {
    const held = scope === allScopes ? caller.permissions.includes(allScopes) : holdsScope(caller.permissions, scope);
    if (!held) throw new TesseraError("permission_denied", `${field}[${i}]: you cannot grant "${scope}", which you do not hold`);
  });
}
