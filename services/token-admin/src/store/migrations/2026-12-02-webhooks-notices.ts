import { sql, type Kysely } from "kysely";

// Frozen in time: never import application types here.
//
// Webhook endpoints with their per-endpoint change_log cursor, their deliveries
// (each a row until delivered or dead), token notices (one row per token, kind
// and lead time: the claim that makes a notice happen once), the email outbox,
// and the columns the notices and the inactivity policy need.

// Safe to run again (if not exists): migrations from parallel branches run unordered.
export async function up(db: Kysely<any>): Promise<void> {
  // Brief exclusive locks on existing tables: wait for them at most this long.
  await sql`set local lock_timeout = '10s'`.execute(db);
  await sql`alter table principal add column if not exists email text`.execute(db);
  await sql`alter table organisation add column if not exists max_inactivity_seconds integer`.execute(db);
  await sql`alter table token add column if not exists revocation_reason text`.execute(db);

  await sql`create table if not exists webhook_endpoint (
    id uuid primary key default gen_random_uuid(),
    organisation_id uuid references organisation(id),
    url text not null,
    description text not null default '',
    events text[] not null,
    enabled boolean not null default true,
    secret bytea not null,
    previous_secret bytea,
    previous_secret_expires_at timestamptz,
    cursor_seq bigint not null,
    lease_owner text,
    lease_until timestamptz,
    created_by uuid,
    created_at timestamptz not null default now(),
    updated_at timestamptz not null default now()
  )`.execute(db);
  await sql`create index if not exists webhook_endpoint_organisation on webhook_endpoint (organisation_id, created_at desc)`.execute(db);

  await sql`create table if not exists webhook_delivery (
    id uuid primary key default gen_random_uuid(),
    endpoint_id uuid not null references webhook_endpoint(id) on delete cascade,
    seq bigint not null,
    position integer not null,
    event_type text not null,
    payload text not null,
    state text not null default 'pending',
    attempts integer not null default 0,
    created_at timestamptz not null default now(),
    next_attempt_at timestamptz not null default now(),
    delivered_at timestamptz,
    last_error text,
    unique (endpoint_id, seq, position)
  )`.execute(db);
  // The head of each endpoint's queue, in feed order.
  await sql`create index if not exists webhook_delivery_pending on webhook_delivery (endpoint_id, seq, position) where state = 'pending'`.execute(db);
  await sql`create index if not exists webhook_delivery_listing on webhook_delivery (endpoint_id, created_at desc, seq desc, position desc)`.execute(db);

  await sql`create table if not exists token_notice (
    token_id uuid not null references token(id) on delete cascade,
    kind text not null,
    lead_seconds integer not null default 0,
    created_at timestamptz not null default now(),
    primary key (token_id, kind, lead_seconds)
  )`.execute(db);

  await sql`create table if not exists email_outbox (
    id uuid primary key default gen_random_uuid(),
    recipient text not null,
    subject text not null,
    body text not null,
    state text not null default 'pending',
    attempts integer not null default 0,
    next_attempt_at timestamptz not null default now(),
    lease_until timestamptz,
    sent_at timestamptz,
    last_error text,
    created_at timestamptz not null default now()
  )`.execute(db);
  await sql`create index if not exists email_outbox_pending on email_outbox (next_attempt_at) where state = 'pending'`.execute(db);
}

export async function down(db: Kysely<any>): Promise<void> {
  await sql`drop table if exists email_outbox, token_notice, webhook_delivery, webhook_endpoint`.execute(db);
  await sql`alter table token drop column if exists revocation_reason`.execute(db);
  await sql`alter table organisation drop column if exists max_inactivity_seconds`.execute(db);
  await sql`alter table principal drop column if exists email`.execute(db);
}
