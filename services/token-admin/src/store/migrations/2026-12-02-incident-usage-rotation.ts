import { sql, type Kysely } from "kysely";

// Frozen in time: never import application types here.
//
// Issue 15 §6–8:
// - tokens_not_before on organisation, group and principal: an incident's
//   "revoke every token issued before T" as one row change, which validators
//   enforce by comparing it with each token's creation time;
// - token_use_source: the last few distinct places each token was used from;
// - on token, what a rotation that finishes itself needs: when the previous
//   value was last seen, the quiet period after which it is revoked early, and
//   when the rotation's outcome was settled (so it is settled once).

// Safe to run again (if not exists): migrations from parallel branches run unordered.
export async function up(db: Kysely<any>): Promise<void> {
  // Token writes lock the owner's principal row first, then token, organisation
  // and group (foreign keys). Taken in that order before anything else, this
  // migration's brief exclusive locks wait for writes in flight; taken table by
  // table from organisation on, they deadlocked with one (held ~1 s, until
  // Postgres's deadlock_timeout picked a victim).
  await sql`lock table principal, token, organisation, "group" in access exclusive mode`.execute(db);
  const statements = [
    sql`alter table organisation add column if not exists tokens_not_before timestamptz`,
    sql`alter table "group" add column if not exists tokens_not_before timestamptz`,
    sql`alter table principal add column if not exists tokens_not_before timestamptz`,
    sql`create table if not exists token_use_source (
      id bigint generated always as identity primary key,
      token_id uuid not null references token(id) on delete cascade,
      surface text not null,
      address text not null,
      route text not null,
      previous_value boolean not null,
      first_seen_at timestamptz not null,
      last_seen_at timestamptz not null,
      use_count bigint not null,
      unique (token_id, surface, address, route, previous_value)
    )`,
    sql`create index if not exists token_use_source_by_token on token_use_source (token_id, last_seen_at desc)`,
    sql`alter table token add column if not exists previous_value_last_used_at timestamptz`,
    sql`alter table token add column if not exists rotation_quiet_seconds integer`,
    sql`alter table token add column if not exists rotation_settled_at timestamptz`,
    // The rotations still to settle are indexed (token_rotation_pending) by 2026-12-05-token-indexes-concurrently, without holding off writes.
  ];
  for (const statement of statements) await statement.execute(db);
}

export async function down(db: Kysely<any>): Promise<void> {
  const statements = [
    sql`drop index if exists token_rotation_pending`,
    sql`alter table token drop column if exists rotation_settled_at`,
    sql`alter table token drop column if exists rotation_quiet_seconds`,
    sql`alter table token drop column if exists previous_value_last_used_at`,
    sql`drop table if exists token_use_source`,
    sql`alter table principal drop column if exists tokens_not_before`,
    sql`alter table "group" drop column if exists tokens_not_before`,
    sql`alter table organisation drop column if exists tokens_not_before`,
  ];
  for (const statement of statements) await statement.execute(db);
}
