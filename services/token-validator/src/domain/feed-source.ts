import type { ChangeRecord } from "@tessera/shared/gen/tessera/feed/v1/feed_pb";

/** A committed change as change_log stores it. */
export interface StoredChange {
  readonly seq: bigint;
  /** A serialized ChangeEvent. */
  readonly event: Uint8Array;
}

/** Where the truth is read from (Postgres); the follower knows nothing of SQL. */
export interface FeedSource {
  /** The newest committed feed position. */
  readHead(): Promise<bigint>;
  /** Committed changes after `afterSeq`, in seq order, at most `limit`. */
  readChanges(afterSeq: bigint, limit: number): Promise<StoredChange[]>;
  /**
   * One consistent view: every live record, handed over in chunks, and the feed
   * position the view reflects (returned).
   */
  readSnapshot(onChunk: (records: ChangeRecord[]) => void): Promise<bigint>;
}
