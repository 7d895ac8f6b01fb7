import { sql, type Kysely } from "kysely";

// Frozen in time: never import application types here.

export async function up(db: Kysely<any>): Promise<void> {
  const statements = [
    sql`create table organisation (
      id uuid primary key default gen_random_uuid(),
      name text not null unique,
      api_tokens_enabled boolean not null default true,
      time_zone text not null default 'UTC',
      default_expiry text not null default 'none',
      max_lifetime_seconds integer,
      allow_no_expiry boolean not null default true,
      technical_users_only boolean not null default false,
      scope_catalog text[] not null default '{}',
      max_exchange_ttl_seconds integer not null default 3600,
      max_regenerate_grace_seconds integer not null default 86400,
      created_at timestamptz not null default now(),
      updated_at timestamptz not null default now()
    )`,
    sql`create table "group" (
      id uuid primary key default gen_random_uuid(),
      organisation_id uuid not null references organisation(id),
      name text not null,
      created_at timestamptz not null default now(),
      unique (organisation_id, name)
    )`,
    sql`create table principal (
      id uuid primary key default gen_random_uuid(),
      organisation_id uuid not null references organisation(id),
      group_id uuid references "group"(id),
      name text not null,
      kind text not null check (kind in ('human', 'technical')),
      role text not null check (role in ('admin', 'org_admin', 'group_admin', 'member')),
      permissions text[] not null default '{}',
      password_hash text,
      disabled_at timestamptz,
      system_managed boolean not null default false,
      created_by uuid,
      created_at timestamptz not null default now(),
      updated_at timestamptz not null default now(),
      unique (organisation_id, name)
    )`,
    sql`create table token (
      id uuid primary key default gen_random_uuid(),
      organisation_id uuid not null references organisation(id),
      owner_id uuid not null references principal(id),
      group_id uuid references "group"(id),
      name text not null,
      level text not null check (level in ('user', 'group', 'org')),
      kind text not null check (kind in ('personal', 'exchanged', 'session')),
      scopes text[] not null,
      admin boolean not null default false,
      created_by uuid not null,
      created_at timestamptz not null default now(),
      expires_at timestamptz,
      digest bytea not null unique,
      display_hint text not null,
      parent_token_id uuid references token(id),
      previous_digest bytea,
      previous_digest_expires_at timestamptz,
      regenerated_at timestamptz,
      last_used_at timestamptz,
      last_used_source text,
      revoked_at timestamptz,
      revoked_by uuid,
      disabled_at timestamptz,
      disabled_by uuid,
      deleted_at timestamptz,
      deleted_by uuid
    )`,
    sql`create index token_listing on token (organisation_id, created_at desc, id desc) where deleted_at is null`,
    sql`create index token_owner on token (owner_id)`,
    sql`create index token_parent on token (parent_token_id) where parent_token_id is not null`,
    sql`create index token_previous_digest on token (previous_digest) where previous_digest is not null`,
    // A counter row, not a sequence: sequence values are taken before commit, so
    // they commit out of order and readers of change_log would see holes.
    sql`create table change_counter (
      id integer primary key check (id = 1),
      seq bigint not null
    )`,
    sql`insert into change_counter (id, seq) values (1, 0)`,
    sql`create table change_log (
      seq bigint primary key,
      event bytea not null,
      committed_at timestamptz not null default now()
    )`,
    sql`create table audit_log (
      id bigint generated always as identity primary key,
      at timestamptz not null default now(),
      action text not null,
      actor_id uuid,
      actor_token_id uuid,
      organisation_id uuid,
      token_id uuid,
      principal_id uuid,
      source text,
      details jsonb not null default '{}'
    )`,
    sql`create index audit_log_at on audit_log (at desc, id desc)`,
    sql`create index audit_log_token on audit_log (token_id) where token_id is not null`,
    sql`create index audit_log_actor on audit_log (actor_id) where actor_id is not null`,
    sql`create index audit_log_organisation on audit_log (organisation_id, at desc)`,
  ];
  for (const statement of statements) await statement.execute(db);
}

export async function down(db: Kysely<any>): Promise<void> {
  for (const table of ["audit_log", "change_log", "change_counter", "token", "principal", '"group"', "organisation"]) {
    await sql.raw(`drop table if exists ${table}`).execute(db);
  }
}
