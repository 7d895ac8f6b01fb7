import type { Kysely, Transaction, Updateable } from "kysely";
import type { Database, NewPrincipal, PrincipalKind, PrincipalRow, PrincipalTable } from "@tessera/shared/db/schema";
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

/** Shares the row lock with other writers: a token is not created for an owner being disabled. */
export function lockPrincipalShared(trx: Transaction<Database>, id: string): Promise<PrincipalRow | undefined> {
  return trx.selectFrom("principal").selectAll().where("id", "=", id).forShare().executeTakeFirst();
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

/** Disables the system-made owners among `ids` that are not disabled yet; returns them. */
export function disableSystemPrincipals(trx: Transaction<Database>, ids: readonly string[], now: Date): Promise<PrincipalRow[]> {
  if (ids.length === 0) return Promise.resolve([]);
  return trx
    .updateTable("principal")
    .set({ disabled_at: now, updated_at: now })
    .where("id", "in", [...ids])
    .where("system_managed", "=", true)
    .where("disabled_at", "is", null)
    .returningAll()
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
