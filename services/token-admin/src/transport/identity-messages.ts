import { create } from "@bufbuild/protobuf";
import { timestampFromDate, type Duration } from "@bufbuild/protobuf/wkt";
import type { PrincipalKind as KindName, Role as RoleName } from "@tessera/shared/db/schema";
import { invalidArgument } from "@tessera/shared/errors/tessera-error";
import type { CreatePrincipalRequest, OrganisationSettings, UpdatePrincipalRequest } from "@tessera/shared/gen/tessera/v1/admin_pb";
import {
  GroupSchema,
  OrganisationSchema,
  PrincipalKind,
  PrincipalSchema,
  Role,
  type DefaultExpiry as DefaultExpiryMessage,
  type Group as GroupMessage,
  type Organisation as OrganisationMessage,
  type Principal as PrincipalMessage,
} from "@tessera/shared/gen/tessera/v1/identity_pb";
import { maxScopeLength, maxScopes } from "@tessera/shared/token/scope";
import type { CreatePrincipalInput } from "../domain/identities/create-principal.js";
import type { Group, Organisation, Principal } from "../domain/identities/identities.js";
import type { DefaultExpiry } from "../domain/identities/organisation-policy.js";
import type { SettingsChange } from "../domain/identities/organisation-settings.js";
import { maxPasswordLength, minPasswordLength } from "../domain/access/passwords.js";
import type { PrincipalChange } from "../domain/identities/update-principal.js";
import { parseEnum, parseName, parseOptionalId, parseStringList, parseWait } from "./parse.js";

const roleToProto: Record<RoleName, Role> = { admin: Role.ADMIN, org_admin: Role.ORG_ADMIN, group_admin: Role.GROUP_ADMIN, member: Role.MEMBER };
const roleFromProto: Partial<Record<Role, RoleName>> = { [Role.ADMIN]: "admin", [Role.ORG_ADMIN]: "org_admin", [Role.GROUP_ADMIN]: "group_admin", [Role.MEMBER]: "member" };
const kindToProto: Record<KindName, PrincipalKind> = { human: PrincipalKind.HUMAN, technical: PrincipalKind.TECHNICAL };
export const principalKindFromProto: Partial<Record<PrincipalKind, KindName>> = { [PrincipalKind.HUMAN]: "human", [PrincipalKind.TECHNICAL]: "technical" };

const seconds = (value: number): Duration => ({ $typeName: "google.protobuf.Duration", seconds: BigInt(value), nanos: 0 });

function defaultExpiryToProto(value: DefaultExpiry): DefaultExpiryMessage {
  const kind =
    value.kind === "duration" ? { case: "after" as const, value: seconds(value.seconds) }
    : value.kind === "end_of_today" ? { case: "endOfToday" as const, value: true }
    : { case: "none" as const, value: true };
  return { $typeName: "tessera.v1.DefaultExpiry", kind };
}

export function organisationToProto(org: Organisation): OrganisationMessage {
  return create(OrganisationSchema, {
    id: org.id,
    name: org.name,
    apiTokensEnabled: org.apiTokensEnabled,
    timeZone: org.timeZone,
    defaultExpiry: defaultExpiryToProto(org.defaultExpiry),
    maxLifetime: org.maxLifetimeSeconds === undefined ? undefined : seconds(org.maxLifetimeSeconds),
    allowNoExpiry: org.allowNoExpiry,
    technicalUsersOnly: org.technicalUsersOnly,
    scopeCatalog: [...org.scopeCatalog],
    maxExchangeTtl: seconds(org.maxExchangeTtlSeconds),
    maxRegenerateGrace: seconds(org.maxRegenerateGraceSeconds),
    maxInactivity: org.maxInactivitySeconds === undefined ? undefined : seconds(org.maxInactivitySeconds),
    createTime: timestampFromDate(org.createdAt),
    updateTime: timestampFromDate(org.updatedAt),
  });
}

export function groupToProto(group: Group): GroupMessage {
  return create(GroupSchema, { id: group.id, organisationId: group.organisationId, name: group.name, createTime: timestampFromDate(group.createdAt) });
}

export function principalToProto(principal: Principal): PrincipalMessage {
  return create(PrincipalSchema, {
    id: principal.id,
    organisationId: principal.organisationId,
    groupId: principal.groupId ?? "",
    name: principal.name,
    kind: kindToProto[principal.kind],
    role: roleToProto[principal.role],
    permissions: [...principal.permissions],
    disabled: principal.disabledAt !== null,
    disableTime: principal.disabledAt ? timestampFromDate(principal.disabledAt) : undefined,
    hasPassword: principal.hasPassword,
    email: principal.email ?? "",
    systemManaged: principal.systemManaged,
    createdBy: principal.createdBy ?? "",
    createTime: timestampFromDate(principal.createdAt),
    updateTime: timestampFromDate(principal.updatedAt),
  });
}

/** Whole seconds of a duration; refuses negative or fractional values. */
export function parseSeconds(field: string, value: Duration): number {
  if (value.seconds < 0n || value.nanos !== 0) throw invalidArgument(field, "must be a whole, non-negative number of seconds");
  if (value.seconds > 1_000_000_000n) throw invalidArgument(field, "is too long");
  return Number(value.seconds);
}

/** Unset fields stay as they are; a zero max_lifetime removes the cap. Ranges are checked by the domain. */
export function parseSettings(settings: OrganisationSettings | undefined): SettingsChange {
  if (!settings) return {};
  const expiry = settings.defaultExpiry?.kind;
  let defaultExpiry: DefaultExpiry | undefined;
  if (expiry?.case === "none" || expiry?.case === "endOfToday") {
    if (!expiry.value) throw invalidArgument(`settings.default_expiry.${expiry.case === "none" ? "none" : "end_of_today"}`, "must be true when set");
    defaultExpiry = { kind: expiry.case === "none" ? "none" : "end_of_today" };
  } else if (expiry?.case === "after") {
    defaultExpiry = { kind: "duration", seconds: parseSeconds("settings.default_expiry.after", expiry.value) };
  }
  const maxLifetime = settings.maxLifetime && parseSeconds("settings.max_lifetime", settings.maxLifetime);
  const maxInactivity = settings.maxInactivity && parseSeconds("settings.max_inactivity", settings.maxInactivity);
  if (settings.timeZone !== undefined && settings.timeZone.length > 64) throw invalidArgument("settings.time_zone", "must be an IANA time zone such as Europe/Berlin");
  return {
    apiTokensEnabled: settings.apiTokensEnabled,
    timeZone: settings.timeZone,
    defaultExpiry,
    maxLifetimeSeconds: maxLifetime === undefined ? undefined : maxLifetime === 0 ? null : maxLifetime,
    allowNoExpiry: settings.allowNoExpiry,
    technicalUsersOnly: settings.technicalUsersOnly,
    scopeCatalog: settings.scopeCatalog && parseStringList("settings.scope_catalog", settings.scopeCatalog.scopes, 500, maxScopeLength),
    maxExchangeTtlSeconds: settings.maxExchangeTtl && parseSeconds("settings.max_exchange_ttl", settings.maxExchangeTtl),
    maxRegenerateGraceSeconds: settings.maxRegenerateGrace && parseSeconds("settings.max_regenerate_grace", settings.maxRegenerateGrace),
    maxInactivitySeconds: maxInactivity === undefined ? undefined : maxInactivity === 0 ? null : maxInactivity,
  };
}

// What a user name may look like: what people type at a sign-in prompt, nothing that needs escaping.
const userNamePattern = /^[A-Za-z0-9][A-Za-z0-9._@+-]*$/;

export function parsePrincipalName(field: string, value: string): string {
  const name = parseName(field, value);
  if (!userNamePattern.test(name)) throw invalidArgument(field, "letters, digits and . _ @ + - only, starting with a letter or digit");
  return name;
}

function parsePassword(field: string, value: string): string {
  if (value.length < minPasswordLength) throw invalidArgument(field, `must be at least ${minPasswordLength} characters`);
  if (value.length > maxPasswordLength) throw invalidArgument(field, `must be at most ${maxPasswordLength} characters`);
  return value;
}

export function parseCreatePrincipal(req: CreatePrincipalRequest): CreatePrincipalInput {
  const kind = parseEnum("kind", req.kind, principalKindFromProto);
  if (!kind) throw invalidArgument("kind", "must be HUMAN or TECHNICAL");
  return {
    organisationId: parseOptionalId("organisation_id", req.organisationId),
    groupId: parseOptionalId("group_id", req.groupId),
    name: parsePrincipalName("name", req.name),
    kind,
    role: parseEnum("role", req.role, roleFromProto) ?? "member",
    permissions: parseStringList("permissions", req.permissions, maxScopes, maxScopeLength),
    password: req.password === "" ? undefined : parsePassword("password", req.password),
    email: req.email === "" ? undefined : parseEmail("email", req.email),
  };
}

export function parseUpdatePrincipal(req: UpdatePrincipalRequest): { change: PrincipalChange; awaitValidatorsMs: number } {
  const role = req.role === undefined ? undefined : parseEnum("role", req.role, roleFromProto);
  if (req.role !== undefined && !role) throw invalidArgument("role", "must be a role");
  return {
    change: {
      role,
      permissions: req.permissions && parseStringList("permissions", req.permissions.scopes, maxScopes, maxScopeLength),
      disabled: req.disabled,
      groupId: req.groupId === undefined ? undefined : req.groupId === "" ? null : parseOptionalId("group_id", req.groupId),
      password: req.password === undefined ? undefined : req.password === "" ? null : parsePassword("password", req.password),
      email: req.email === undefined ? undefined : req.email === "" ? null : parseEmail("email", req.email),
    },
    awaitValidatorsMs: parseWait("await_validators", req.awaitValidators),
  };
}

// An address SMTP servers take: one local part, one domain, nothing that could add a header or a recipient.
const emailPattern = /^[A-Za-z0-9.!#$%&'*+/=?^_`{|}~-]{1,64}@[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?)*$/;

function parseEmail(field: string, value: string): string {
  if (value.length > 254 || !emailPattern.test(value)) throw invalidArgument(field, "must be an email address such as ada@example.com");
  return value;
}
