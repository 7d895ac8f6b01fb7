import { sql, type Kysely } from "kysely";

// Frozen in time: never import application types here. Named 12-03 so it sorts after
// the migration that creates webhook_delivery (kysely runs them in name order).
//
// Deliveries queued directly (honeytoken presentations, which never enter
// change_log) have no announcement position of their own, so their webhook-id
// is stored: null means msg_<seq>_<position>, as before. "if not exists": it may
// run again (migrate.test.ts re-runs every migration after console-indexes).

export async function up(db: Kysely<any>): Promise<void> {
  await sql`alter table webhook_delivery add column if not exists webhook_id text`.execute(db);
}

export async function down(db: Kysely<any>): Promise<void> {
  await sql`alter table webhook_delivery drop column if exists webhook_id`.execute(db);
}
