import { sql, type Kysely, type RawBuilder } from "kysely";
import { toBigInt, toBuffer } from "@tessera/shared/db/database";
import type { Database } from "@tessera/shared/db/schema";
import { groupChangeRecord, organisationChangeRecord, principalChangeRecord } from "@tessera/shared/feed/change-records";
import type { FeedSource, SnapshotTarget, StoredChange } from "../domain/feed-source.js";
import { packedTokenRow } from "./packed-token-sql.js";

/** Rows per query for exchanged tokens (few, and packed). */
const rowsPerChunk = 4_000;
/** Principals per query: each becomes a feed record before it is applied, some 10 µs apiece. */
const principalsPerChunk = 1_000;
/** Heap pages per token query: ~1 MB of table, some four thousand tokens (receiving one is a stall of its own). */
const pagesPerChunk = 128;

const yieldToEventLoop = () => new Promise<void>((resolve) => setImmediate(resolve));
/**
 * A whole turn of the event loop, timers included. A chunk arrives in the poll
 * phase, and a single setImmediate resumes in the check phase of the same turn,
 * so work resumed after one yield would run on from the receiving with no timer between.
 */
const yieldWholeTurn = async () => {
  await yieldToEventLoop();
  await yieldToEventLoop();
};

/** Tokens worth holding: not deleted, not revoked or expired long ago. */
const liveToken = (cutoff: Date) =>
  sql<boolean>`token.deleted_at is null and (token.revoked_at is null or token.revoked_at > ${cutoff}) and (token.expires_at is null or token.expires_at > ${cutoff})`;

/** `= any(organisations)`: one parameter however many organisations a partial replica serves. */
const anyOf = (organisations: readonly string[]) => sql<string>`any(${[...organisations]}::uuid[])`;

/** `and <column> = any(organisations)`, or nothing for every organisation: what a partial replica reads. */
function servedBy(column: string, organisations: readonly string[] | undefined): RawBuilder<unknown> {
  return organisations === undefined ? sql`` : sql`and ${sql.ref(column)} = ${anyOf(organisations)}`;
}

/** One packed chunk, base64: the tokens without a parent stored in heap pages [from, to) (a TID range scan: Postgres ≥ 14). */
async function readPageRange(trx: Kysely<Database>, cutoff: Date, from: number, to: number, served: RawBuilder<unknown>): Promise<string | null> {
  const { rows } = await sql<{ packed: string | null }>`
    select encode(string_agg(${packedTokenRow(sql`null::bytea`)}, ''::bytea), 'base64') as packed
    from token
    where token.ctid >= ${`(${from},0)`}::tid and token.ctid < ${`(${to},0)`}::tid
      and token.parent_token_id is null and ${liveToken(cutoff)} ${served}`.execute(trx);
  return rows[0]?.packed ?? null;
}

/** One packed chunk of exchanged tokens after `afterId`, with their parents' digests. */
async function readChildren(trx: Kysely<Database>, cutoff: Date, afterId: string, served: RawBuilder<unknown>): Promise<{ packed: string | null; last: string | null; count: number }> {
  const { rows } = await sql<{ packed: string | null; last: string | null; count: number }>`
    select encode(string_agg(packed, ''::bytea order by id), 'base64') as packed, max(id::text) as last, count(*)::int4 as count
    from (
      select token.id, ${packedTokenRow(sql`parent.digest`)} as packed
      from token join token as parent on parent.id = token.parent_token_id
      where token.parent_token_id is not null and token.id > ${afterId}::uuid and ${liveToken(cutoff)} ${served}
      order by token.id limit ${rowsPerChunk}
    ) as chunk`.execute(trx);
  return rows[0] ?? { packed: null, last: null, count: 0 };
}

/**
 * Live tokens into `into`: first those without a parent, in heap order, one
 * range of pages at a time (a scan in page order is several times cheaper
 * than walking the primary key); then exchanged tokens, which link to their
 * parents' entries. Each chunk is asked for before the previous one is
 * applied, so Postgres packs while we unpack; applying yields every few
 * milliseconds, so a reload never stalls the validator's answers for long.
 */
async function readTokens(trx: Kysely<Database>, cutoff: Date, into: SnapshotTarget, organisations: readonly string[] | undefined): Promise<void> {
  const served = servedBy("token.organisation_id", organisations);
  const apply = async (packed: string | null) => {
    if (!packed) return;
    await yieldWholeTurn(); // receiving the chunk was a slice already
    // base64 (whose line breaks Buffer skips): bytea would travel as hex text, twice the bytes and twice the decoding.
    into.addPackedTokens(Buffer.from(packed, "base64"));
  };
  // Every row visible to this snapshot was written before it began, so it lies within the pages there
  // are now; the share lock, held to commit, keeps a table rewrite from moving rows meanwhile.
  await sql`lock table token in access share mode`.execute(trx);
  const { rows } = await sql<{ pages: number }>`select (pg_relation_size('token') / current_setting('block_size')::int8)::int4 as pages`.execute(trx);
  const pages = rows[0]?.pages ?? 0;
  let next = pages > 0 ? readPageRange(trx, cutoff, 0, pagesPerChunk, served) : undefined;
  for (let from = 0; next; from += pagesPerChunk) {
    const packed = await next;
    next = from + pagesPerChunk < pages ? readPageRange(trx, cutoff, from + pagesPerChunk, from + 2 * pagesPerChunk, served) : undefined;
    await apply(packed);
  }
  for (let after = "00000000-0000-0000-0000-000000000000"; ; ) {
    const chunk = await readChildren(trx, cutoff, after, served);
    await apply(chunk.packed);
    if (chunk.count < rowsPerChunk || !chunk.last) return;
    after = chunk.last;
  }
}

/** Revoked or expired tokens older than this are left out of a snapshot (they then look NOT_FOUND); the replica's own default. */
const defaultDeadTokenRetentionMs = 24 * 3600 * 1000;

/** What a feed store reads besides the defaults. */
export interface FeedStoreOptions {
  /**
   * A partial replica's organisations (ids): a snapshot reads only their
   * organisation, group, principal and token rows. Undefined: every organisation.
   * change_log is read whole either way (the follower filters events).
   */
  readonly organisations?: readonly string[] | undefined;
}

/**
 * The feed read from Postgres (or PGlite): head, ranges of change_log,
 * snapshots. A snapshot leaves out tokens dead for longer than
 * `deadTokenRetentionMs`, as the replica's pruner drops them.
 */
export function createFeedStore(db: Kysely<Database>, now: () => Date = () => new Date(), deadTokenRetentionMs = defaultDeadTokenRetentionMs, options: FeedStoreOptions = {}): FeedSource {
  const { organisations } = options;
  const readHead = async (executor: Kysely<Database>) => {
    const { seq } = await executor.selectFrom("change_counter").select("seq").where("id", "=", 1).executeTakeFirstOrThrow();
    return toBigInt(seq);
  };

  return {
    readHead: () => readHead(db),

    async readChanges(afterSeq, limit): Promise<StoredChange[]> {
      const rows = await db
        .selectFrom("change_log")
        .select(["seq", "event"])
        .where("seq", ">", afterSeq.toString())
        .orderBy("seq")
        .limit(limit)
        .execute();
      return rows.map((row) => ({ seq: toBigInt(row.seq), event: toBuffer(row.event) }));
    },

    readSnapshot(into: SnapshotTarget) {
      // REPEATABLE READ: every query below sees the database as of the first one,
      // so the head and the records describe the same instant.
      return db
        .transaction()
        .setIsolationLevel("repeatable read")
        .setAccessMode("read only")
        .execute(async (trx) => {
          // A parallel plan would take the core this process needs to unpack rows (2-core hosts are common).
          await sql`set local max_parallel_workers_per_gather = 0`.execute(trx);
          const head = await readHead(trx);
          const organisationRows = await trx
            .selectFrom("organisation")
            .selectAll()
            .$if(organisations !== undefined, (query) => query.where("id", "=", anyOf(organisations!)))
            .execute();
          for (const row of organisationRows) into.applyRecord(organisationChangeRecord(row));
          // Only groups with a cut-off: a group matters to a validator for nothing else.
          const groups = await trx
            .selectFrom("group")
            .select(["id", "organisation_id", "tokens_not_before"])
            .where("tokens_not_before", "is not", null)
            .$if(organisations !== undefined, (query) => query.where("organisation_id", "=", anyOf(organisations!)))
            .execute();
          for (const row of groups) into.applyRecord(groupChangeRecord(row));
          let lastId: string | undefined;
          for (;;) {
            // A disabled principal answers as a missing one does (the replica holds none): the owners of deleted level tokens stay out.
            let query = trx
              .selectFrom("principal")
              .selectAll()
              .where("disabled_at", "is", null)
              .$if(organisations !== undefined, (query) => query.where("organisation_id", "=", anyOf(organisations!)))
              .orderBy("id")
              .limit(principalsPerChunk);
            if (lastId) query = query.where("id", ">", lastId);
            const rows = await query.execute();
            for (const row of rows) into.applyRecord(principalChangeRecord(row));
            if (rows.length < principalsPerChunk) break;
            await yieldToEventLoop();
            lastId = rows.at(-1)!.id;
          }
          await readTokens(trx, new Date(now().getTime() - deadTokenRetentionMs), into, organisations);
          return head;
        });
    },
  };
}
