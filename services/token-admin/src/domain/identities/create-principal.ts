import type { PrincipalKind, Role } from "@tessera/shared/db/schema";
import { isUniqueViolation } from "@tessera/shared/db/database-errors";
import { TesseraError, invalidArgument } from "@tessera/shared/errors/tessera-error";
import { principalChangeRecord } from "@tessera/shared/feed/change-records";
import { findGroup } from "../../store/group-store.js";
import { findOrganisation } from "../../store/organisation-store.js";
import { insertPrincipal } from "../../store/principal-store.js";
import type { AdminDeps } from "../admin-deps.js";
import { authorize } from "../access/authorize.js";
import type { Caller } from "../access/caller.js";
import { commitChange } from "../commit-change.js";
import { assertMayGrantRole, assertMayGrantScopes, checkPermissions } from "../access/grants.js";
import { principalFromRow, type Principal } from "./identities.js";

export interface CreatePrincipalInput {
  readonly organisationId: string | undefined;
  readonly groupId: string | undefined;
  readonly name: string;
  readonly kind: PrincipalKind;
  readonly role: Role;
  readonly permissions: readonly string[];
  /** Humans only. */
  readonly password: string | undefined;
  /** Where notices go; undefined: none are emailed. */
  readonly email?: string | undefined;
}

/** Creates a person or technical user, with no more role or scopes than the caller may give. */
export async function createPrincipal(deps: AdminDeps, caller: Caller, input: CreatePrincipalInput): Promise<Principal> {
  const orgId = input.organisationId ?? caller.organisationId;
  if (input.password !== undefined && input.kind !== "human") throw invalidArgument("password", "only people sign in; technical users use tokens");
  if (input.role === "group_admin" && !input.groupId) throw invalidArgument("group_id", "a group admin needs a group");
  assertMayGrantRole(caller, input.role, "role");
  assertMayGrantScopes(caller, input.permissions, "permissions");
  // Authorised before hashing, which takes ~0.1 s of a small shared pool: a caller who may not
  // create here must not be able to fill it. The target is the request's own organisation and group
  // (that they exist, and the group is in the organisation, is checked in the transaction).
  authorize(caller, "CreatePrincipal", { organisationId: orgId, groupId: input.groupId ?? null, principalId: null }, "GetOrganisation", `organisation ${orgId}`);
  // Done before the transaction, so no lock is held for it.
  const passwordHash = input.password === undefined ? null : await deps.passwords.hash(input.password);
  try {
    const { result } = await commitChange(deps, async (trx, change) => {
      const organisation = await findOrganisation(trx, orgId);
      if (!organisation) throw new TesseraError("not_found", `organisation ${orgId} not found`);
      if (input.groupId) {
        const group = await findGroup(trx, input.groupId);
        if (!group || group.organisation_id !== orgId) throw new TesseraError("not_found", `group ${input.groupId} not found`);
      }
      checkPermissions(input.permissions, organisation.scope_catalog, "permissions");
      const row = await insertPrincipal(trx, {
        organisation_id: orgId,
        group_id: input.groupId ?? null,
        name: input.name,
        kind: input.kind,
        role: input.role,
        permissions: [...input.permissions],
        password_hash: passwordHash,
        disabled_at: null,
        created_by: caller.principalId,
        email: input.email ?? null,
      });
      change.feed(principalChangeRecord(row));
      change.audit({
        action: "principal.create", actorId: caller.principalId, actorTokenId: caller.tokenId, organisationId: orgId, principalId: row.id,
        source: caller.source, details: { name: input.name, kind: input.kind, role: input.role, permissions: input.permissions, group_id: input.groupId ?? null },
      });
      return row;
    });
    return principalFromRow(result);
  } catch (err) {
    if (isUniqueViolation(err)) throw new TesseraError("already_exists", `a principal named "${input.name}" already exists in this organisation`);
    throw err;
  }
}
