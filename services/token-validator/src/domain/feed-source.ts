import type { Replica } from "./replica.js";

/**
 * What a snapshot is read into: records for organisations, groups and
 * principals; tokens as packed chunks (@tessera/shared/snapshot/packed-token-layout),
 * each applied in one step — so a reader passes chunks of a few thousand tokens
 * and yields to the event loop between them.
 */
export type SnapshotTarget = Pick<Replica, "applyRecord" | "addPackedTokens" | "reserve" | "acquireProfiles" | "addProfiledTokens" | "releaseProfiles">;

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
   * One consistent view: every live organisation, principal and token, applied
   * to `into` (yielding to the event loop as it goes), and the feed position the
   * view reflects (returned).
   */
  readSnapshot(into: SnapshotTarget): Promise<bigint>;
}
