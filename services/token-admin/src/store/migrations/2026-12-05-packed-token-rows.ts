import { sql, type Kysely } from "kysely";
import { packedTokenColumns, packedTokenRow } from "@tessera/shared/snapshot/packed-token-sql";
import * as snapshotFunctions from "./2026-12-04-snapshot-functions.js";

// Frozen in time: never import application types here. The imports are the
// packed-token layout's SQL (versioned on its own, as in 2026-12-04) and that
// migration, whose functions `down` puts back.
//
// Packing a million rows at read time kept Postgres busy for seconds on every
// snapshot. Each token without a parent now carries its packed row, written by a
// trigger whenever a column the row reads is; the snapshot functions aggregate it.
// Exchanged tokens are still packed at read time: theirs holds the parent's
// current digest, which changes when the parent is regenerated (and they are few).
//
// This migration runs outside a transaction (migrate.ts): the backfill rewrites
// every token, in short statements, rather than hold the table's exclusive lock
// (taken by ADD COLUMN) for all of it. Each step is safe to repeat.

/** Read by migrate.ts: run without the transaction migrations otherwise get. */
export const outsideTransaction = true;

/** A token without a parent's packed row; null for an exchanged one. */
const storedPackedRow = (row: string) => sql`case when ${sql.ref(`${row}.parent_token_id`)} is null then ${packedTokenRow(sql`null::bytea`, row)} end`;

/** Tokens worth holding: not deleted, not revoked or expired before `cutoff` (as in 2026-12-04). */
const liveToken = sql`token.deleted_at is null and (token.revoked_at is null or token.revoked_at > cutoff) and (token.expires_at is null or token.expires_at > cutoff)`;
const ofOrganisations = sql`(organisations is null or token.organisation_id = any(organisations))`;

// `update of` the packed columns only: last-used bookkeeping and the like leave the row
// as it is. packed_row is not among them, so the backfill below, which writes it, does
// not fire the trigger (and pack every row twice).
const trigger = [
  sql`alter table token add column if not exists packed_row bytea`,
  sql`create or replace function tessera_token_packed_row() returns trigger language plpgsql as $$
    begin
      new.packed_row := ${storedPackedRow("new")};
      return new;
    end $$`,
  sql`drop trigger if exists token_packed_row on token`,
  sql`create trigger token_packed_row before insert or update of ${sql.join(packedTokenColumns.map((c) => sql.ref(c)))} on token
    for each row execute function tessera_token_packed_row()`,
];

/** Heap pages per backfill statement (~1 MB, some four thousand tokens): each its own short transaction. */
const backfillPages = 128;

/**
 * Packs the rows written before the trigger existed, a page range at a time.
 * A row that moved past the ranges meanwhile (updated in a column the trigger
 * ignores) is caught by the final pass, which only reads the rest.
 */
async function backfill(db: Kysely<any>): Promise<void> {
  const { rows } = await sql<{ pages: number }>`select (pg_relation_size('token') / current_setting('block_size')::int8)::int4 as pages`.execute(db);
  const pages = rows[0]?.pages ?? 0;
  const unpacked = sql`token.parent_token_id is null and token.packed_row is null`;
  for (let from = 0; from < pages; from += backfillPages) {
    await sql`update token set packed_row = ${storedPackedRow("token")}
      where token.ctid >= ${`(${from},0)`}::tid and token.ctid < ${`(${from + backfillPages},0)`}::tid and ${unpacked}`.execute(db);
  }
  await sql`update token set packed_row = ${storedPackedRow("token")} where ${unpacked}`.execute(db);
}

/**
 * The two functions of 2026-12-04 that packed tokens without a parent, reading the
 * stored rows instead. Replaced only once every such row has one: until then the
 * old ones pack at read time. (A fallback, coalesce(packed_row, <packing>), measured
 * a third more Postgres CPU per chunk, the packing being planned with every call.)
 */
async function readStoredRows(db: Kysely<any>): Promise<void> {
  await sql`create or replace function tessera_snapshot_tokens(cutoff timestamptz, from_page int, to_page int, organisations uuid[])
    returns bytea
    language sql stable as $fn$
      select string_agg(token.packed_row, ''::bytea)
      from token
      where token.ctid >= ('(' || from_page || ',0)')::tid and token.ctid < ('(' || to_page || ',0)')::tid
        and token.parent_token_id is null and ${liveToken} and ${ofOrganisations}
    $fn$`.execute(db);

  await sql`create or replace function tessera_snapshot_organisation_tokens(cutoff timestamptz, organisation uuid, after_created timestamptz, after_id uuid, lim int)
    returns table (packed bytea, last_created timestamptz, last_id uuid, tokens int4)
    language sql stable as $fn$
      select string_agg(chunk.packed, ''::bytea order by chunk.created_at desc, chunk.id desc),
        (array_agg(chunk.created_at order by chunk.created_at, chunk.id))[1], (array_agg(chunk.id order by chunk.created_at, chunk.id))[1], count(*)::int4
      from (
        select token.created_at, token.id, token.packed_row as packed
        from token
        where token.organisation_id = organisation and (token.created_at, token.id) < (after_created, after_id)
          and token.parent_token_id is null and ${liveToken}
        order by token.created_at desc, token.id desc limit lim
      ) as chunk
    $fn$`.execute(db);
}

export async function up(db: Kysely<any>): Promise<void> {
  // Adding the column and the trigger take a brief exclusive lock: together, so no
  // write falls between them; waiting at most this long rather than queue every writer.
  await db.transaction().execute(async (trx) => {
    await sql`set local lock_timeout = '10s'`.execute(trx);
    for (const statement of trigger) await statement.execute(trx);
  });
  await backfill(db);
  await readStoredRows(db);
}

export async function down(db: Kysely<any>): Promise<void> {
  await snapshotFunctions.up(db); // packing at read time again, before the column goes
  await sql`drop trigger if exists token_packed_row on token`.execute(db);
  await sql`drop function if exists tessera_token_packed_row()`.execute(db);
  await sql`alter table token drop column if exists packed_row`.execute(db);
}
