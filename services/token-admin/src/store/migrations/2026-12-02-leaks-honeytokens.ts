import { sql, type Kysely } from "kysely";

// Frozen in time: never import application types here.
//
// Honeytokens (issue 15): a token flagged as a decoy. Validators refuse it as
// they refuse an unknown value and report every presentation; admins list them
// apart. A partial index keeps that list cheap: honeytokens are few. Safe to
// run again (a test re-runs every migration from console-indexes on).

export async function up(db: Kysely<unknown>): Promise<void> {
  await sql`alter table token add column if not exists honeytoken boolean not null default false`.execute(db);
  // Its listing index (token_honeytoken_idx) is built by 2026-12-05-token-indexes-concurrently, without holding off writes.
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await sql`drop index if exists token_honeytoken_idx`.execute(db);
  await sql`alter table token drop column honeytoken`.execute(db);
}
