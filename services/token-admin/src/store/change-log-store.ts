import { sql, type Kysely, type OperationNodeSource, type Transaction } from "kysely";
import { toBigInt } from "@tessera/shared/db/database";
import type { Database } from "@tessera/shared/db/schema";

/**
 * Takes the next feed position. A counter row, not a sequence: sequence values
 * are handed out before commit, so they commit out of order and readers see
 * holes. The row lock taken here is held to commit, so positions commit in
 * order; call it last in the transaction to hold that lock briefly. An insert
 * with RETURNING given as `alongside` (the change's audit rows) runs in the same
 * statement and round trip, before the lock is taken.
 */
export async function takeNextSeq(trx: Transaction<Database>, alongside?: OperationNodeSource): Promise<bigint> {
  // A data-modifying WITH that nothing reads runs after the main statement, while
  // the counter row is locked; counted in the WHERE, it runs first (a one-time
  // filter evaluated before the row is scanned).
  const { rows } = await (alongside
    ? sql<{ seq: string | number }>`with alongside as (${alongside})
        update change_counter set seq = seq + 1 where id = 1 and (select count(*) from alongside) > 0 returning seq`
    : sql<{ seq: string | number }>`update change_counter set seq = seq + 1 where id = 1 returning seq`
  ).execute(trx);
  if (!rows[0]) throw new Error("the change_counter row is missing");
  return toBigInt(rows[0].seq);
}

/** Inside the transaction that made the change: stores the serialized ChangeEvent at `seq`. */
export async function insertChange(trx: Transaction<Database>, seq: bigint, event: Uint8Array, committedAt: Date): Promise<void> {
  await trx.insertInto("change_log").values({ seq: seq.toString(), event, committed_at: committedAt }).execute();
}

/** The newest committed feed position. */
export async function readFeedHead(db: Kysely<Database>): Promise<bigint> {
  const { seq } = await db.selectFrom("change_counter").select("seq").where("id", "=", 1).executeTakeFirstOrThrow();
  return toBigInt(seq);
}

/** One key for every token-admin's pruner: whoever holds it prunes, the others skip the round. */
export const pruneLockKey = 0x7e55e4a_18n;

/**
 * Deletes up to `limit` of the oldest change_log rows at or below `throughSeq`
 * committed before `committedBefore`, in one short transaction under an advisory
 * lock. Returns the rows deleted, or undefined when another admin holds the lock.
 */
export async function pruneChangeLogBatch(db: Kysely<Database>, throughSeq: bigint, committedBefore: Date, limit: number): Promise<number | undefined> {
  return db.transaction().execute(async (trx) => {
    const { rows } = await sql<{ locked: boolean }>`select pg_try_advisory_xact_lock(${pruneLockKey.toString()}::int8) as locked`.execute(trx);
    if (!rows[0]?.locked) return undefined;
    const result = await sql`delete from change_log where seq in (
        select seq from change_log where seq <= ${throughSeq.toString()}::int8 and committed_at < ${committedBefore} order by seq limit ${limit})`.execute(trx);
    return Number(result.numAffectedRows ?? 0n);
  });
}

/** Rows in change_log and the oldest seq held (0 when empty): for metrics, tools and tests. */
export async function changeLogExtent(db: Kysely<Database>): Promise<{ rows: number; oldestSeq: bigint }> {
  const row = await db
    .selectFrom("change_log")
    .select((eb) => [eb.fn.countAll().as("rows"), eb.fn.min("seq").as("oldest")])
    .executeTakeFirstOrThrow();
  return { rows: Number(row.rows), oldestSeq: row.oldest === null ? 0n : toBigInt(row.oldest as string | number | bigint) };
}
