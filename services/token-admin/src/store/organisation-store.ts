import type { Insertable, Kysely, Transaction, Updateable } from "kysely";
import type { Database, OrganisationRow, OrganisationTable } from "@tessera/shared/db/schema";
import { comesAfter, type PageAfter } from "./page-after.js";

export function findOrganisation(db: Kysely<Database>, id: string): Promise<OrganisationRow | undefined> {
  return db.selectFrom("organisation").selectAll().where("id", "=", id).executeTakeFirst();
}

export function findOrganisationByName(db: Kysely<Database>, name: string): Promise<OrganisationRow | undefined> {
  return db.selectFrom("organisation").selectAll().where("name", "=", name).executeTakeFirst();
}

/** Locks the row until commit, so two settings changes cannot interleave. */
export function lockOrganisation(trx: Transaction<Database>, id: string): Promise<OrganisationRow | undefined> {
  return trx.selectFrom("organisation").selectAll().where("id", "=", id).forUpdate().executeTakeFirst();
}

export function insertOrganisation(trx: Transaction<Database>, values: Insertable<OrganisationTable>): Promise<OrganisationRow> {
  return trx.insertInto("organisation").values(values).returningAll().executeTakeFirstOrThrow();
}

export function updateOrganisation(trx: Transaction<Database>, id: string, set: Updateable<OrganisationTable>): Promise<OrganisationRow> {
  return trx.updateTable("organisation").set(set).where("id", "=", id).returningAll().executeTakeFirstOrThrow();
}

/** A page of organisations, newest first; `onlyId` narrows to one (a caller who sees only its own). */
export function listOrganisations(db: Kysely<Database>, onlyId: string | undefined, after: PageAfter | undefined, limit: number): Promise<OrganisationRow[]> {
  let query = db.selectFrom("organisation").selectAll();
  if (onlyId) query = query.where("id", "=", onlyId);
  if (after) query = query.where(comesAfter("organisation", after));
  return query.orderBy("created_at", "desc").orderBy("id", "desc").limit(limit).execute();
}
