import { sql, type Kysely } from "kysely";

// Frozen in time: never import application types here.
//
// The expiry notifier asks, every interval, which live personal tokens expire
// within the longest lead time (or expired lately): a range of this index.
// Built concurrently, outside a transaction, so writes go on meanwhile.

/** Read by migrate.ts: run without the transaction migrations otherwise get. */
export const outsideTransaction = true;

export async function up(db: Kysely<any>): Promise<void> {
  const found = await sql`select 1 from pg_index i join pg_class c on c.oid = i.indexrelid where c.relname = 'token_live_expiry' and not i.indisvalid`.execute(db);
  // A build that died half-way leaves an invalid index behind: drop it and build again.
  if (found.rows[0]) await sql`drop index concurrently if exists token_live_expiry`.execute(db);
  await sql`create index concurrently if not exists token_live_expiry on token (expires_at)
    where kind = 'personal' and revoked_at is null and deleted_at is null and expires_at is not null`.execute(db);
}

export async function down(db: Kysely<any>): Promise<void> {
  await sql`drop index if exists token_live_expiry`.execute(db);
}
