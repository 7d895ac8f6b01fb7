import type { Insertable, Kysely, Transaction } from "kysely";
import type { Database, OrganisationRow, OrganisationTable } from "@tessera/shared/db/schema";

export function findOrganisation(db: Kysely<Database>, id: string): Promise<OrganisationRow | undefined> {
  return db.selectFrom("organisation").selectAll().where("id", "=", id).executeTakeFirst();
}

export function insertOrganisation(
  trx: Transaction<Database>,
  values: Insertable<OrganisationTable>,
): Promise<OrganisationRow> {
  return trx.insertInto("organisation").values(values).returningAll().executeTakeFirstOrThrow();
}
