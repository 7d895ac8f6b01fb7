import type { Updateable } from "kysely";
import type { PrincipalRow, PrincipalTable, Role } from "@tessera/shared/db/schema";
import { TesseraError, invalidArgument } from "@tessera/shared/errors/tessera-error";
import { principalChangeRecord, tokenChangeRecord } from "@tessera/shared/feed/change-records";
import { findGroup } from "../../store/group-store.js";
import { findOrganisation } from "../../store/organisation-store.js";
import { findPrincipal, lockPrincipal, updatePrincipal as updatePrincipalRow } from "../../store/principal-store.js";
import { revokeSessions } from "../../store/token-store.js";
import type { AdminDeps } from "../admin-deps.js";
import { authorize, reachOf, reaches } from "../access/authorize.js";
import type { AcknowledgedChange } from "../tokens/await-validators.js";
import type { Caller } from "../access/caller.js";
import { commitAwaitedChange } from "../commit-change.js";
import { assertMayGrantRole, assertMayGrantScopes, checkPermissions } from "../access/grants.js";
import { principalFromRow, principalTarget, type Principal } from "./identities.js";

/** What to change; undefined leaves it. */
export interface PrincipalChange {
  readonly role?: Role | undefined;
  readonly permissions?: readonly string[] | undefined;
  readonly disabled?: boolean | undefined;
  /** null: out of any group. */
  readonly groupId?: string | null | undefined;
  /** null: remove the password. */
  readonly password?: string | null | undefined;
  /** null removes it. */
  readonly email?: string | null | undefined;
}

export interface UpdatedPrincipal extends AcknowledgedChange {
  readonly principal: Principal;
}

/** Throws unless `caller` may apply `change` to the principal `row` (undefined: not found); returns the row. */
function assertMayUpdate(caller: Caller, id: string, row: PrincipalRow | undefined, change: PrincipalChange): PrincipalRow {
  if (!row) throw new TesseraError("not_found", `principal ${id} not found`);
  authorize(caller, "UpdatePrincipal", principalTarget(row), "GetPrincipal", `principal ${id}`);
  // Nobody changes a principal whose role is above what they may grant (a group admin its peers, say).
  assertMayGrantRole(caller, row.role, "principal_id");
  if (typeof change.password === "string" && row.kind !== "human") throw invalidArgument("password", "only people sign in; technical users use tokens");
  return row;
}

/**
 * Changes a principal. Shrinking its permissions or disabling it narrows or
 * stops every token it owns at once: validators intersect each token's scopes
 * with the owner's current permissions, so no token is touched.
 */
export async function updatePrincipal(deps: AdminDeps, caller: Caller, id: string, change: PrincipalChange, awaitValidatorsMs = 0): Promise<UpdatedPrincipal> {
  const now = deps.now();
  if (change.role) assertMayGrantRole(caller, change.role, "role");
  if (change.disabled === true && id === caller.principalId) throw new TesseraError("failed_precondition", "you cannot disable yourself");
  // Authorised before hashing, which takes ~0.1 s of a small shared pool: a caller who may not change
  // this principal must not be able to fill it. Checked again under the lock below.
  if (typeof change.password === "string") assertMayUpdate(caller, id, await findPrincipal(deps.db, id), change);
  const passwordHash = typeof change.password === "string" ? await deps.passwords.hash(change.password) : change.password;
  const { result, seq, acknowledgement } = await commitAwaitedChange(deps, awaitValidatorsMs, async (trx, pending) => {
    const current = assertMayUpdate(caller, id, await lockPrincipal(trx, id), change);
    const set: Updateable<PrincipalTable> = { updated_at: now };
    if (change.role) set.role = change.role;
    if (change.permissions) {
      const organisation = await findOrganisation(trx, current.organisation_id);
      checkPermissions(change.permissions, organisation?.scope_catalog ?? [], "permissions");
      // Taking scopes away is always allowed; adding needs the caller to hold them.
      assertMayGrantScopes(caller, change.permissions.filter((p) => !current.permissions.includes(p)), "permissions");
      set.permissions = [...change.permissions];
    }
    if (change.disabled !== undefined) set.disabled_at = change.disabled ? (current.disabled_at ?? now) : null;
    if (change.groupId !== undefined) {
      if (change.groupId !== null) {
        const group = await findGroup(trx, change.groupId);
        if (!group || group.organisation_id !== current.organisation_id) throw new TesseraError("not_found", `group ${change.groupId} not found`);
      }
      // The principal's new place must be within the caller's reach too.
      if (!reaches(reachOf(caller, "UpdatePrincipal"), caller, { ...principalTarget(current), groupId: change.groupId })) {
        throw new TesseraError("permission_denied", "group_id: outside what you administer");
      }
      set.group_id = change.groupId;
    }
    if ((set.role ?? current.role) === "group_admin" && (set.group_id === undefined ? current.group_id : set.group_id) === null) {
      throw invalidArgument("group_id", "a group admin needs a group");
    }
    if (passwordHash !== undefined) set.password_hash = passwordHash;
    if (change.email !== undefined) set.email = change.email;
    const row = await updatePrincipalRow(trx, id, set);
    pending.feed(principalChangeRecord(row));
    // A new (or removed) password ends the sessions signed in with the old one; the caller's own survives.
    // Disabling ends them all for good (the caller is never the one disabled): enabling again revives none.
    const disabling = change.disabled === true && current.disabled_at === null;
    const endedSessions = passwordHash !== undefined || disabling ? await revokeSessions(trx, id, caller.tokenId, caller.principalId, now) : [];
    pending.feed(...endedSessions.map((session) => tokenChangeRecord(session)));
    if (disabling) pending.announce({ type: "principal.disabled", organisationId: row.organisation_id, principalId: id, actorId: caller.principalId, details: { name: row.name } });
    pending.audit({
      action: "principal.update", actorId: caller.principalId, actorTokenId: caller.tokenId, organisationId: row.organisation_id, principalId: id,
      source: caller.source,
      details: { role: change.role, permissions: change.permissions, disabled: change.disabled, group_id: change.groupId, password_changed: change.password !== undefined, email_changed: change.email !== undefined, sessions_ended: endedSessions.length },
    });
    return row;
  });
  return { principal: principalFromRow(result), seq, acknowledgement };
}
