import { sql, type Kysely } from "kysely";

// Frozen in time: never import application types here.
//
// change_log is pruned past the position every follower has passed (issue 18).
// Each follower's position is a row here: validators' as token-admin hears them
// report (kind 'validator', forgotten once unheard for long), and durable
// followers' (webhook delivery, notifications: any other kind) until they deregister.

export async function up(db: Kysely<any>): Promise<void> {
  await sql`create table if not exists change_follower (
    id text primary key,
    kind text not null check (length(kind) between 1 and 50),
    applied_seq bigint not null,
    last_seen_at timestamptz not null default now()
  )`.execute(db);
  await sql`create index if not exists change_follower_kind_seen on change_follower (kind, last_seen_at)`.execute(db);
}

export async function down(db: Kysely<any>): Promise<void> {
  await sql`drop table if exists change_follower`.execute(db);
}
