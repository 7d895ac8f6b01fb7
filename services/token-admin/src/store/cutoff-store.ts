import { sql, type Transaction } from "kysely";
import type { Database, GroupRow, OrganisationRow, PrincipalRow } from "@tessera/shared/db/schema";

// An incident's cut-off only moves forward: `greatest` keeps a later one in
// force when a call names an earlier instant, so two responders cannot undo
// each other. Each returns the row as it now is (undefined: no such row).

const later = (at: Date) => sql<Date>`greatest(coalesce(tokens_not_before, ${at}), ${at})`;

export function raisePrincipalCutoff(trx: Transaction<Database>, id: string, at: Date): Promise<PrincipalRow | undefined> {
  return trx.updateTable("principal").set({ tokens_not_before: later(at) }).where("id", "=", id).returningAll().executeTakeFirst();
}

export function raiseGroupCutoff(trx: Transaction<Database>, id: string, at: Date): Promise<GroupRow | undefined> {
  return trx.updateTable("group").set({ tokens_not_before: later(at) }).where("id", "=", id).returningAll().executeTakeFirst();
}

export function raiseOrganisationCutoff(trx: Transaction<Database>, id: string, at: Date): Promise<OrganisationRow | undefined> {
  return trx.updateTable("organisation").set({ tokens_not_before: later(at) }).where("id", "=", id).returningAll().executeTakeFirst();
}
