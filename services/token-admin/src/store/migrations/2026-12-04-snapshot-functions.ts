import { sql, type Kysely } from "kysely";
import { packedTokenRow } from "@tessera/shared/snapshot/packed-token-sql";

// Frozen in time: never import application types here. The one import is the
// packed-token layout's SQL, which is versioned on its own: a layout change comes
// with a new migration that replaces these functions.
//
// The snapshot's SQL contract (schema ownership): validators, and token-admin's
// snapshot cache, read a snapshot only through these functions, so the tables
// behind them can change here without a validator release. Each takes
// `organisations`: null for all, else only those organisations' rows (a partial
// replica). Read inside one REPEATABLE READ transaction, they describe one instant.
//
// "create or replace": safe to run again, as unordered migrations must be.

/** Tokens worth holding: not deleted, not revoked or expired before `cutoff`. */
const liveToken = sql`token.deleted_at is null and (token.revoked_at is null or token.revoked_at > cutoff) and (token.expires_at is null or token.expires_at > cutoff)`;
const ofOrganisations = (column: string) => sql`(organisations is null or ${sql.ref(column)} = any(organisations))`;

export async function up(db: Kysely<any>): Promise<void> {
  await sql`create or replace function tessera_snapshot_organisations(organisations uuid[])
    returns table (id uuid, api_tokens_enabled boolean, tokens_not_before timestamptz)
    language sql stable as $fn$
      select organisation.id, organisation.api_tokens_enabled, organisation.tokens_not_before
      from organisation where ${ofOrganisations("organisation.id")}
    $fn$`.execute(db);

  // Only groups with a cut-off: a group matters to a validator for nothing else.
  await sql`create or replace function tessera_snapshot_groups(organisations uuid[])
    returns table (id uuid, organisation_id uuid, tokens_not_before timestamptz)
    language sql stable as $fn$
      select "group".id, "group".organisation_id, "group".tokens_not_before
      from "group" where "group".tokens_not_before is not null and ${ofOrganisations("group.organisation_id")}
    $fn$`.execute(db);

  // Enabled principals after `after`, in id order: a disabled one answers as a missing one does.
  await sql`create or replace function tessera_snapshot_principals(after uuid, lim int, organisations uuid[])
    returns table (id uuid, organisation_id uuid, group_id uuid, permissions text[], tokens_not_before timestamptz)
    language sql stable as $fn$
      select principal.id, principal.organisation_id, principal.group_id, principal.permissions, principal.tokens_not_before
      from principal
      where principal.disabled_at is null and principal.id > after and ${ofOrganisations("principal.organisation_id")}
      order by principal.id limit lim
    $fn$`.execute(db);

  // The token table's size in heap pages, under a share lock held to commit: every row this
  // snapshot sees lies within them, and a table rewrite cannot move rows meanwhile.
  await sql`create or replace function tessera_snapshot_token_pages()
    returns int4
    language sql volatile as $fn$
      lock table token in access share mode;
      select (pg_relation_size('token') / current_setting('block_size')::int8)::int4
    $fn$`.execute(db);

  // One packed chunk: the live tokens without a parent stored in heap pages [from_page, to_page)
  // (a TID range scan, Postgres ≥ 14: several times cheaper than walking the primary key).
  await sql`create or replace function tessera_snapshot_tokens(cutoff timestamptz, from_page int, to_page int, organisations uuid[])
    returns bytea
    language sql stable as $fn$
      select string_agg(${packedTokenRow(sql`null::bytea`)}, ''::bytea)
      from token
      where token.ctid >= ('(' || from_page || ',0)')::tid and token.ctid < ('(' || to_page || ',0)')::tid
        and token.parent_token_id is null and ${liveToken} and ${ofOrganisations("token.organisation_id")}
    $fn$`.execute(db);

  // A partial replica's chunk: one organisation's live tokens without a parent, newest first,
  // before (after_created, after_id), through token_listing's (organisation, created_at, id) order:
  // reads the organisation's rows, where the page ranges above would read the whole table.
  await sql`create or replace function tessera_snapshot_organisation_tokens(cutoff timestamptz, organisation uuid, after_created timestamptz, after_id uuid, lim int)
    returns table (packed bytea, last_created timestamptz, last_id uuid, tokens int4)
    language sql stable as $fn$
      select string_agg(chunk.packed, ''::bytea order by chunk.created_at desc, chunk.id desc),
        (array_agg(chunk.created_at order by chunk.created_at, chunk.id))[1], (array_agg(chunk.id order by chunk.created_at, chunk.id))[1], count(*)::int4
      from (
        select token.created_at, token.id, ${packedTokenRow(sql`null::bytea`)} as packed
        from token
        where token.organisation_id = organisation and (token.created_at, token.id) < (after_created, after_id)
          and token.parent_token_id is null and ${liveToken}
        order by token.created_at desc, token.id desc limit lim
      ) as chunk
    $fn$`.execute(db);

  // One packed chunk of exchanged tokens after `after` in id order, each with its parent's digest.
  await sql`create or replace function tessera_snapshot_children(cutoff timestamptz, after uuid, lim int, organisations uuid[])
    returns table (packed bytea, last_id uuid, tokens int4)
    language sql stable as $fn$
      select string_agg(chunk.packed, ''::bytea order by chunk.id), max(chunk.id::text)::uuid, count(*)::int4
      from (
        select token.id, ${packedTokenRow(sql`parent.digest`)} as packed
        from token join token as parent on parent.id = token.parent_token_id
        where token.parent_token_id is not null and token.id > after and ${liveToken} and ${ofOrganisations("token.organisation_id")}
        order by token.id limit lim
      ) as chunk
    $fn$`.execute(db);
}

export async function down(db: Kysely<any>): Promise<void> {
  await sql`drop function if exists tessera_snapshot_organisation_tokens(timestamptz, uuid, timestamptz, uuid, int)`.execute(db);
  await sql`drop function if exists tessera_snapshot_children(timestamptz, uuid, int, uuid[])`.execute(db);
  await sql`drop function if exists tessera_snapshot_tokens(timestamptz, int, int, uuid[])`.execute(db);
  await sql`drop function if exists tessera_snapshot_token_pages()`.execute(db);
  await sql`drop function if exists tessera_snapshot_principals(uuid, int, uuid[])`.execute(db);
  await sql`drop function if exists tessera_snapshot_groups(uuid[])`.execute(db);
  await sql`drop function if exists tessera_snapshot_organisations(uuid[])`.execute(db);
}
