import type { Kysely, Transaction, Updateable } from "kysely";
import type { Database, NewPrincipal, OrganisationRow, PrincipalKind, PrincipalRow, PrincipalTable, Role } from "@tessera/shared/db/schema";
import { substringPattern } from "./like-pattern.js";
import { comesAfter, type PageAfter } from "./page-after.js";

export function findPrincipal(db: Kysely<Database>, id: string): Promise<PrincipalRow | undefined> {
  return db.selectFrom("principal").selectAll().where("id", "=", id).executeTakeFirst();
}

/** Those of `ids` that exist, in one statement. */
export function findPrincipals(db: Kysely<Database>, ids: readonly string[]): Promise<PrincipalRow[]> {
  return ids.length === 0 ? Promise.resolve([]) : db.selectFrom("principal").selectAll().where("id", "in", [...ids]).execute();
}

/** By organisation name and principal name, as SignIn asks. */
export function findPrincipalBySignInName(db: Kysely<Database>, organisation: string, name: string): Promise<PrincipalRow | undefined> {
  return db
    .selectFrom("principal")
    .innerJoin("organisation", "organisation.id", "principal.organisation_id")
    .selectAll("principal")
    .where("organisation.name", "=", organisation)
    .where("principal.name", "=", name)
    .executeTakeFirst();
}

/** An organisation's settings, without its timestamps. */
export type OrganisationSettingsRow = Omit<OrganisationRow, "created_at" | "updated_at" | "tokens_not_before">;

/**
 * A principal, its row lock shared with other writers (a token is not created
 * for an owner being disabled), and its organisation's settings, in one round trip.
 */
export async function lockPrincipalSharedWithSettings(
  trx: Transaction<Database>,
  id: string,
): Promise<{ principal: PrincipalRow; settings: OrganisationSettingsRow } | undefined> {
  const row = await trx
    .selectFrom("principal")
    .innerJoin("organisation", "organisation.id", "principal.organisation_id")
    .selectAll("principal")
    .select([
      "organisation.name as o_name", "organisation.api_tokens_enabled as o_api_tokens_enabled", "organisation.time_zone as o_time_zone",
      "organisation.default_expiry as o_default_expiry", "organisation.max_lifetime_seconds as o_max_lifetime_seconds",
      "organisation.allow_no_expiry as o_allow_no_expiry", "organisation.technical_users_only as o_technical_users_only",
      "organisation.scope_catalog as o_scope_catalog", "organisation.max_exchange_ttl_seconds as o_max_exchange_ttl_seconds",
      "organisation.max_regenerate_grace_seconds as o_max_regenerate_grace_seconds", "organisation.max_inactivity_seconds as o_max_inactivity_seconds",
    ])
    .where("principal.id", "=", id)
    .forShare("principal")
    .executeTakeFirst();
  if (!row) return undefined;
  const {
    o_name, o_api_tokens_enabled, o_time_zone, o_default_expiry, o_max_lifetime_seconds, o_allow_no_expiry, o_technical_users_only,
    o_scope_catalog, o_max_exchange_ttl_seconds, o_max_regenerate_grace_seconds, o_max_inactivity_seconds, ...principal
  } = row;
  return {
    principal,
    settings: {
      id: principal.organisation_id, name: o_name, api_tokens_enabled: o_api_tokens_enabled, time_zone: o_time_zone, default_expiry: o_default_expiry,
      max_lifetime_seconds: o_max_lifetime_seconds, allow_no_expiry: o_allow_no_expiry, technical_users_only: o_technical_users_only,
      scope_catalog: o_scope_catalog, max_exchange_ttl_seconds: o_max_exchange_ttl_seconds, max_regenerate_grace_seconds: o_max_regenerate_grace_seconds,
      max_inactivity_seconds: o_max_inactivity_seconds,
    },
  };
}

/** Locks the row until commit, so two updates of one principal cannot interleave. */
export function lockPrincipal(trx: Transaction<Database>, id: string): Promise<PrincipalRow | undefined> {
  return trx.selectFrom("principal").selectAll().where("id", "=", id).forUpdate().executeTakeFirst();
}

export function insertPrincipal(trx: Transaction<Database>, values: NewPrincipal): Promise<PrincipalRow> {
  return trx.insertInto("principal").values(values).returningAll().executeTakeFirstOrThrow();
}

export function updatePrincipal(trx: Transaction<Database>, id: string, set: Updateable<PrincipalTable>): Promise<PrincipalRow> {
  return trx.updateTable("principal").set(set).where("id", "=", id).returningAll().executeTakeFirstOrThrow();
}

/**
 * Disables the system-made owners among `ids` that are not disabled yet; returns
 * them, each saying whether any token still in use refers to it (an exchanged
 * token dies with its parent, so only tokens without one count). One statement.
 */
export function disableSystemPrincipals(trx: Transaction<Database>, ids: readonly string[], now: Date): Promise<(PrincipalRow & { unreferenced: boolean })[]> {
  if (ids.length === 0) return Promise.resolve([]);
  return trx
    .updateTable("principal")
    .set({ disabled_at: now, updated_at: now })
    .where("id", "in", [...ids])
    .where("system_managed", "=", true)
    .where("disabled_at", "is", null)
    .returningAll()
    .returning((eb) =>
      eb
        .not(eb.exists(eb.selectFrom("token").select("token.id").whereRef("token.owner_id", "=", "principal.id").where("token.deleted_at", "is", null).where("token.parent_token_id", "is", null)))
        .$castTo<boolean>()
        .as("unreferenced"),
    )
    .execute();
}

export interface PrincipalFilter {
  organisationId: string;
  groupId?: string | undefined;
  /** Only this principal (a member sees itself). */
  onlyId?: string | undefined;
  kind?: PrincipalKind | undefined;
}

/** A page of principals, newest first. */
export function listPrincipals(db: Kysely<Database>, filter: PrincipalFilter, after: PageAfter | undefined, limit: number): Promise<PrincipalRow[]> {
  let query = db.selectFrom("principal").selectAll().where("organisation_id", "=", filter.organisationId);
  if (filter.groupId) query = query.where("group_id", "=", filter.groupId);
  if (filter.onlyId) query = query.where("id", "=", filter.onlyId);
  if (filter.kind) query = query.where("kind", "=", filter.kind);
  if (after) query = query.where(comesAfter("principal", after));
  return query.orderBy("created_at", "desc").orderBy("id", "desc").limit(limit).execute();
}

/** Names by id, in one query; ids with no principal are absent. */
export async function findPrincipalNames(db: Kysely<Database>, ids: readonly string[]): Promise<Map<string, string>> {
  if (ids.length === 0) return new Map();
  const rows = await db.selectFrom("principal").select(["id", "name"]).where("id", "in", ids).execute();
  return new Map(rows.map((row) => [row.id, row.name]));
}

export interface TokenOwnerFilter {
  organisationId: string;
  /** Only principals in this group. */
  groupId?: string | undefined;
  /** Only this principal (a member acts for itself alone). */
  onlyId?: string | undefined;
  /** Principals with one of these roles, or `selfId` whatever its role. */
  roles: readonly Role[];
  selfId: string;
  technicalOnly: boolean;
  nameContains?: string | undefined;
}

/** Active, person-made principals matching the filter, by name. */
export function listTokenOwners(db: Kysely<Database>, filter: TokenOwnerFilter, limit: number): Promise<PrincipalRow[]> {
  let query = db
    .selectFrom("principal")
    .selectAll()
    .where("organisation_id", "=", filter.organisationId)
    .where("disabled_at", "is", null)
    .where("system_managed", "=", false)
    .where((eb) => (filter.roles.length > 0 ? eb.or([eb("role", "in", filter.roles), eb("id", "=", filter.selfId)]) : eb("id", "=", filter.selfId)));
  if (filter.groupId) query = query.where("group_id", "=", filter.groupId);
  if (filter.onlyId) query = query.where("id", "=", filter.onlyId);
  if (filter.technicalOnly) query = query.where("kind", "=", "technical");
  if (filter.nameContains) query = query.where("name", "ilike", substringPattern(filter.nameContains));
  return query.orderBy("name").orderBy("id").limit(limit).execute();
}

/** Locks the built-in admin: the instance-wide admin that bootstrap created (no creator); undefined before bootstrap. */
export function lockBuiltInAdmin(trx: Transaction<Database>): Promise<PrincipalRow | undefined> {
  return trx
    .selectFrom("principal")
    .selectAll()
    .where("role", "=", "admin")
    .where("created_by", "is", null)
    .orderBy("created_at")
    .limit(1)
    .forUpdate()
    .executeTakeFirst();
}
