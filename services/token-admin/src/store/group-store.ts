import type { Insertable, Kysely, Transaction } from "kysely";
import type { Database, GroupRow, GroupTable } from "@tessera/shared/db/schema";
import { comesAfter, type PageAfter } from "./page-after.js";

export function findGroup(db: Kysely<Database>, id: string): Promise<GroupRow | undefined> {
  return db.selectFrom("group").selectAll().where("id", "=", id).executeTakeFirst();
}

export function insertGroup(trx: Transaction<Database>, values: Insertable<GroupTable>): Promise<GroupRow> {
  return trx.insertInto("group").values(values).returningAll().executeTakeFirstOrThrow();
}

export function renameGroup(trx: Transaction<Database>, id: string, name: string): Promise<GroupRow> {
  return trx.updateTable("group").set({ name }).where("id", "=", id).returningAll().executeTakeFirstOrThrow();
}

/** A page of an organisation's groups, newest first; `onlyId` narrows to one group. */
export function listGroups(
  db: Kysely<Database>,
  organisationId: string,
  onlyId: string | undefined,
  after: PageAfter | undefined,
  limit: number,
): Promise<GroupRow[]> {
  let query = db.selectFrom("group").selectAll().where("organisation_id", "=", organisationId);
  if (onlyId) query = query.where("id", "=", onlyId);
  if (after) query = query.where(comesAfter("group", after));
  return query.orderBy("created_at", "desc").orderBy("id", "desc").limit(limit).execute();
}
