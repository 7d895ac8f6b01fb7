import { sql, type Kysely } from "kysely";

// Frozen in time: never import application types here.
//
// Honeytokens (issue 15): a token flagged as a decoy. Validators refuse it as
// they refuse an unknown value and report every presentation; admins list them
// apart. A partial index keeps that list cheap: honeytokens are few. Safe to
// run again (a test re-runs every migration from console-indexes on).

export async function up(db: Kysely<unknown>): Promise<void> {
  await sql`alter table token add column if not exists honeytoken boolean not null default false`.execute(db);
  await sql`create index if not exists token_honeytoken_idx on token (created_at desc, id desc) where honeytoken and deleted_at is null`.execute(db);
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await sql`drop index if exists token_honeytoken_idx`.execute(db);
  await sql`alter table token drop column honeytoken`.execute(db);
}
