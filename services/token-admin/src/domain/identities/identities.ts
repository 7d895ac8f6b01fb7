import type { GroupRow, OrganisationRow, PrincipalKind, PrincipalRow, Role } from "@tessera/shared/db/schema";
import { policyFromRow, type OrganisationPolicy } from "./organisation-policy.js";
import type { Target } from "../access/authorize.js";

/** An organisation as the admin API shows it: its policy and when it changed. */
export interface Organisation extends OrganisationPolicy {
  readonly createdAt: Date;
  readonly updatedAt: Date;
}

export interface Group {
  readonly id: string;
  readonly organisationId: string;
  readonly name: string;
  readonly createdAt: Date;
}

/** A principal as the admin API shows it. Never the password hash. */
export interface Principal {
  readonly id: string;
  readonly organisationId: string;
  readonly groupId: string | null;
  readonly name: string;
  readonly kind: PrincipalKind;
  readonly role: Role;
  readonly permissions: readonly string[];
  readonly disabledAt: Date | null;
  readonly hasPassword: boolean;
  readonly email: string | null;
  readonly systemManaged: boolean;
  readonly createdBy: string | null;
  readonly createdAt: Date;
  readonly updatedAt: Date;
}

export function organisationFromRow(row: OrganisationRow): Organisation {
  return { ...policyFromRow(row), createdAt: row.created_at, updatedAt: row.updated_at };
}

export function groupFromRow(row: GroupRow): Group {
  return { id: row.id, organisationId: row.organisation_id, name: row.name, createdAt: row.created_at };
}

export function principalFromRow(row: PrincipalRow): Principal {
  return {
    id: row.id,
    organisationId: row.organisation_id,
    groupId: row.group_id,
    name: row.name,
    kind: row.kind,
    role: row.role,
    permissions: row.permissions,
    disabledAt: row.disabled_at,
    hasPassword: row.password_hash !== null,
    email: row.email,
    systemManaged: row.system_managed,
    createdBy: row.created_by,
    createdAt: row.created_at,
    updatedAt: row.updated_at,
  };
}

// Where each kind of entity sits, for the authorization table.
export const organisationTarget = (id: string): Target => ({ organisationId: id, groupId: null, principalId: null });
export const groupTarget = (group: Pick<GroupRow, "id" | "organisation_id">): Target => ({ organisationId: group.organisation_id, groupId: group.id, principalId: null });
export const principalTarget = (principal: Pick<PrincipalRow, "id" | "organisation_id" | "group_id">): Target => ({
  organisationId: principal.organisation_id,
  groupId: principal.group_id,
  principalId: principal.id,
});
