import type { Kysely, Transaction } from "kysely";
import type { Database, NewPrincipal, PrincipalRow } from "@tessera/shared/db/schema";

export function findPrincipal(db: Kysely<Database>, id: string): Promise<PrincipalRow | undefined> {
  return db.selectFrom("principal").selectAll().where("id", "=", id).executeTakeFirst();
}

/** Shares the row lock with other writers: a token is not created for an owner being disabled. */
export function lockPrincipalShared(trx: Transaction<Database>, id: string): Promise<PrincipalRow | undefined> {
  return trx.selectFrom("principal").selectAll().where("id", "=", id).forShare().executeTakeFirst();
}

export function insertPrincipal(trx: Transaction<Database>, values: NewPrincipal): Promise<PrincipalRow> {
  return trx.insertInto("principal").values(values).returningAll().executeTakeFirstOrThrow();
}
