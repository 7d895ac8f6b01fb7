import { fromBinary } from "@bufbuild/protobuf";
import type { Kysely } from "kysely";
import { toBigInt, toBuffer } from "@tessera/shared/db/database";
import type { Database } from "@tessera/shared/db/schema";
import { ChangeEventSchema } from "@tessera/shared/gen/tessera/feed/v1/feed_pb";
import { readDatabaseSnapshot } from "@tessera/shared/snapshot/database-snapshot";
import type { FeedSource, SnapshotTarget, StoredChange } from "../domain/feed-source.js";
import { everyOrganisation, type OrganisationScope } from "../domain/organisation-scope.js";
import { snapshotTargetSink, yieldToEventLoop } from "./snapshot-target-sink.js";

/** Revoked or expired tokens older than this are left out of a snapshot (they then look NOT_FOUND); the replica's own default. */
const defaultDeadTokenRetentionMs = 24 * 3600 * 1000;
/** Changes per change_log query while bringing a snapshot up to the head. */
const catchUpBatch = 1000;

/** change_log rows after `afterSeq`, in seq order, at most `limit`. */
async function readChangeLog(db: Kysely<Database>, afterSeq: bigint, limit: number): Promise<StoredChange[]> {
  const rows = await db.selectFrom("change_log").select(["seq", "event"]).where("seq", ">", afterSeq.toString()).orderBy("seq").limit(limit).execute();
  return rows.map((row) => ({ seq: toBigInt(row.seq), event: toBuffer(row.event) }));
}

/** A snapshot that change_log cannot bring to the primary's head: too old (pruned past it), or ahead of it (a restored database). */
export class SnapshotBehindOrAhead extends Error {
  override readonly name = "SnapshotBehindOrAhead";
}

/**
 * Brings a snapshot read at `seq` from somewhere that may lag (token-admin's
 * cache, a read replica) up to the primary's head, from change_log, and returns
 * the position reached. Only then does it prove what a snapshot of the primary
 * would: every change committed before the read began is in it. A snapshot
 * ahead of the primary's head (a restored database) is refused.
 */
export async function catchUpToHead(source: Pick<FeedSource, "readHead" | "readChanges">, into: SnapshotTarget, seq: bigint, scope: OrganisationScope = everyOrganisation): Promise<bigint> {
  const head = await source.readHead();
  if (seq > head) throw new SnapshotBehindOrAhead(`the snapshot (seq ${seq}) is ahead of the primary's head (${head}): was the database restored?`);
  while (seq < head) {
    const changes = await source.readChanges(seq, catchUpBatch);
    if (changes[0]?.seq !== seq + 1n) throw new SnapshotBehindOrAhead(`change_log does not reach from the snapshot (seq ${seq}) to the head (${head})`);
    for (const change of changes) {
      // Through the scope, as the follower applies events: a partial replica holds its organisations only.
      for (const record of scope.recordsToApply(fromBinary(ChangeEventSchema, change.event).records)) into.applyRecord(record);
      seq = change.seq;
    }
    await yieldToEventLoop();
  }
  return seq;
}

/**
 * The feed read from Postgres (or PGlite): head, ranges of change_log,
 * snapshots (through the snapshot functions token-admin's migrations create).
 * A snapshot leaves out tokens dead for longer than `deadTokenRetentionMs`, as
 * the replica's pruner drops them.
 *
 * With `replicaDb` (a read replica), snapshots and change_log ranges are read
 * there, and the head always from `db`, the primary: a lagging replica's head
 * would claim a freshness it does not have. A snapshot from the replica is
 * brought up to the primary's head before it is returned; a change_log range
 * that stops short of the newest head seen is completed from the primary.
 */
/** Where else a feed store reads, and what it holds. */
export interface FeedStoreOptions {
  /** A read replica for snapshots and change_log ranges (the head is always read from the primary). */
  readonly replicaDb?: Kysely<Database> | undefined;
  /** The organisations a partial replica holds: snapshots read only theirs. Default: every one. */
  readonly scope?: OrganisationScope | undefined;
}

export function createFeedStore(db: Kysely<Database>, now: () => Date = () => new Date(), deadTokenRetentionMs = defaultDeadTokenRetentionMs, options: FeedStoreOptions = {}): FeedSource {
  const { replicaDb, scope = everyOrganisation } = options;
  let newestHead = 0n;
  const source: FeedSource = {
    async readHead() {
      const { seq } = await db.selectFrom("change_counter").select("seq").where("id", "=", 1).executeTakeFirstOrThrow();
      const head = toBigInt(seq);
      if (head > newestHead) newestHead = head;
      return head;
    },

    async readChanges(afterSeq, limit): Promise<StoredChange[]> {
      if (!replicaDb) return readChangeLog(db, afterSeq, limit);
      const fromReplica = await readChangeLog(replicaDb, afterSeq, limit);
      const reached = fromReplica.at(-1)?.seq ?? afterSeq;
      if (fromReplica.length === limit || reached >= newestHead) return fromReplica;
      // The replica lags behind a head the primary already showed: the rest from the primary.
      return fromReplica.concat(await readChangeLog(db, reached, limit - fromReplica.length));
    },

    async readSnapshot(into: SnapshotTarget) {
      const read = { cutoff: new Date(now().getTime() - deadTokenRetentionMs), organisations: scope.organisations };
      if (!replicaDb) return readDatabaseSnapshot(db, read, snapshotTargetSink(into));
      const seq = await readDatabaseSnapshot(replicaDb, read, snapshotTargetSink(into));
      return catchUpToHead(source, into, seq, scope);
    },
  };
  return source;
}
