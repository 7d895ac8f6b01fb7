import { sql, type Kysely, type RawBuilder } from "kysely";
import type { ChangeRecord } from "../gen/tessera/feed/v1/feed_pb.js";
import { toBigInt } from "../db/database.js";
import type { Database } from "../db/schema.js";
import { groupChangeRecord, organisationChangeRecord, principalChangeRecord } from "../feed/change-records.js";

/** Where a snapshot's parts go, in order: records (organisations, groups, principals), then packed token chunks. */
export interface SnapshotSink {
  /** One record; may return a promise (the reader waits for it). */
  record(record: ChangeRecord): void | Promise<void>;
  /** Whole packed tokens (packed-token-layout.ts), a few thousand; may return a promise (the reader waits for it). */
  tokens(chunk: Uint8Array): void | Promise<void>;
}

export interface DatabaseSnapshotOptions {
  /** Tokens revoked or expired before this are left out (they would look NOT_FOUND anyway). */
  readonly cutoff: Date;
  /** Only these organisations' rows (a partial replica); undefined: all. */
  readonly organisations?: readonly string[] | undefined;
}

/** Principals per query: each becomes a feed record before it is applied, some 10 µs apiece. */
const principalsPerChunk = 1_000;
/** Exchanged tokens per query (few, and packed). */
const childrenPerChunk = 4_000;
/** Heap pages per token query: ~1 MB of table, some four thousand tokens. */
const pagesPerChunk = 128;
/** Tokens per chunk of one organisation's (a partial replica's). */
const organisationChunk = 4_000;
const nilUuid = "00000000-0000-0000-0000-000000000000";
const maxUuid = "ffffffff-ffff-ffff-ffff-ffffffffffff";

/** A uuid[] argument: null for every organisation. */
const organisationsArg = (organisations: readonly string[] | undefined) => (organisations === undefined ? sql`null::uuid[]` : sql`${[...organisations]}::uuid[]`);

/** base64: bytea would travel as hex text, twice the bytes and twice the decoding (Buffer skips base64's line breaks). */
const fromBase64 = (packed: string | null) => (packed ? Buffer.from(packed, "base64") : undefined);

/**
 * Every live token without a parent, in heap page ranges (a TID range scan is
 * several times cheaper than walking an index for the whole table). Each chunk
 * is asked for before the previous one is handed over, so Postgres packs while
 * the sink unpacks.
 */
async function readTokenPages(trx: Kysely<Database>, cutoff: Date, organisations: RawBuilder<unknown>, sink: SnapshotSink): Promise<void> {
  const pageRange = async (from: number) => {
    const { rows } = await sql<{ packed: string | null }>`
      select encode(tessera_snapshot_tokens(${cutoff}, ${from}, ${from + pagesPerChunk}, ${organisations}), 'base64') as packed`.execute(trx);
    return fromBase64(rows[0]?.packed ?? null);
  };
  const { rows } = await sql<{ pages: number }>`select tessera_snapshot_token_pages() as pages`.execute(trx);
  const pages = rows[0]?.pages ?? 0;
  let next = pages > 0 ? pageRange(0) : undefined;
  try {
    for (let from = 0; next; from += pagesPerChunk) {
      const chunk = await next;
      next = from + pagesPerChunk < pages ? pageRange(from + pagesPerChunk) : undefined;
      if (chunk) await sink.tokens(chunk);
    }
  } catch (err) {
    next?.catch(() => {}); // the sink failed with a read in flight: its failure is not news
    throw err;
  }
}

/** One organisation's live tokens without a parent, newest first, a chunk at a time. */
async function readOrganisationTokens(trx: Kysely<Database>, cutoff: Date, organisation: string, sink: SnapshotSink): Promise<void> {
  // The position as text: created_at has microseconds, which a JavaScript Date would lose (and rows with them).
  for (let after = { created: "infinity", id: maxUuid }; ; ) {
    const { rows } = await sql<{ packed: string | null; last_created: string | null; last_id: string | null; tokens: number }>`
      select encode(packed, 'base64') as packed, last_created::text as last_created, last_id, tokens
      from tessera_snapshot_organisation_tokens(${cutoff}, ${organisation}::uuid, ${after.created}::timestamptz, ${after.id}::uuid, ${organisationChunk})`.execute(trx);
    const chunk = rows[0];
    const packed = fromBase64(chunk?.packed ?? null);
    if (packed) await sink.tokens(packed);
    if (!chunk || chunk.tokens < organisationChunk || !chunk.last_created || !chunk.last_id) return;
    after = { created: chunk.last_created, id: chunk.last_id };
  }
}

/**
 * Reads one consistent snapshot through the snapshot functions token-admin's
 * migrations create (never the tables), into `sink`, and returns the feed
 * position it reflects. One REPEATABLE READ transaction: every query sees the
 * database as of the first, so the head and the rows describe the same instant.
 * Each token chunk is asked for before the previous one is handed over, so
 * Postgres packs while the sink unpacks.
 */
export function readDatabaseSnapshot(db: Kysely<Database>, options: DatabaseSnapshotOptions, sink: SnapshotSink): Promise<bigint> {
  const organisations = organisationsArg(options.organisations);
  const { cutoff } = options;
  return db
    .transaction()
    .setIsolationLevel("repeatable read")
    .setAccessMode("read only")
    .execute(async (trx) => {
      // A parallel plan would take the core the reader needs to unpack rows (2-core hosts are common).
      await sql`set local max_parallel_workers_per_gather = 0`.execute(trx);
      const { seq } = await trx.selectFrom("change_counter").select("seq").where("id", "=", 1).executeTakeFirstOrThrow();
      const head = toBigInt(seq);

      const orgs = await sql<{ id: string; api_tokens_enabled: boolean; tokens_not_before: Date | null }>`select * from tessera_snapshot_organisations(${organisations})`.execute(trx);
      for (const row of orgs.rows) await sink.record(organisationChangeRecord(row));
      const groups = await sql<{ id: string; organisation_id: string; tokens_not_before: Date | null }>`select * from tessera_snapshot_groups(${organisations})`.execute(trx);
      for (const row of groups.rows) await sink.record(groupChangeRecord(row));
      for (let after = nilUuid; ; ) {
        const { rows } = await sql<{ id: string; organisation_id: string; group_id: string | null; permissions: string[]; tokens_not_before: Date | null }>`
          select * from tessera_snapshot_principals(${after}::uuid, ${principalsPerChunk}, ${organisations})`.execute(trx);
        for (const row of rows) await sink.record(principalChangeRecord({ ...row, disabled_at: null }));
        if (rows.length < principalsPerChunk) break;
        after = rows.at(-1)!.id;
      }

      if (options.organisations === undefined) await readTokenPages(trx, cutoff, organisations, sink);
      // A partial replica's organisations, each through its index: only their rows are read.
      else for (const organisation of options.organisations) await readOrganisationTokens(trx, cutoff, organisation, sink);
      // Exchanged tokens last: each links to its parent, which must already be held.
      for (let after = nilUuid; ; ) {
        const { rows } = await sql<{ packed: string | null; last_id: string | null; tokens: number }>`
          select encode(packed, 'base64') as packed, last_id, tokens from tessera_snapshot_children(${cutoff}, ${after}::uuid, ${childrenPerChunk}, ${organisations})`.execute(trx);
        const chunk = rows[0];
        const packed = fromBase64(chunk?.packed ?? null);
        if (packed) await sink.tokens(packed);
        if (!chunk || chunk.tokens < childrenPerChunk || !chunk.last_id) break;
        after = chunk.last_id;
      }
      return head;
    });
}
