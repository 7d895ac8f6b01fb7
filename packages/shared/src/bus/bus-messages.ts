import type { ChangeEvent } from "../gen/tessera/feed/v1/feed_pb.js";

// The vocabulary the bus carries between token-admin and validators. Each
// service declares the port it uses in its own domain, in these terms.

/** token-admin's proof of the feed head: every change committed before `readAtMs` has a seq at or below `headSeq`. */
export interface FeedHeartbeat {
  readonly headSeq: bigint;
  /** Unix milliseconds on the admin's clock, taken before the head was read. */
  readonly readAtMs: number;
}

/** What a change-feed subscriber is told. Messages may arrive twice, late, or not at all. */
export interface FeedListener {
  onChange(event: ChangeEvent): void;
  onHeartbeat(heartbeat: FeedHeartbeat): void;
  /** The subscription is (again) live: messages published from now on arrive; anything published while it was down is lost. */
  onConnected(): void;
  /** The subscription broke; messages may be lost until onConnected. */
  onDisconnected(): void;
  /** A message failed authentication or decoding and was dropped. */
  onRejected(): void;
}

export type ReportedFreshness = "current" | "degraded" | "stale";

/** A validator's report to the roster. */
export interface ValidatorReport {
  readonly validatorId: string;
  readonly appliedSeq: bigint;
  readonly freshness: ReportedFreshness;
  readonly stalenessMs: number;
  /** The validator's own staleness bound: past it without proof, it refuses. */
  readonly maxStalenessMs: number;
}

/** A validator as the roster knows it. */
export interface RosterEntry extends ValidatorReport {
  /**
   * False once its reports have stopped without a goodbye: it is listed, as
   * unreachable, until its staleness bound has passed too, since until then it
   * may still answer from an older replica.
   */
  readonly reachable: boolean;
  /** Milliseconds since its last report. */
  readonly heardAgoMs: number;
}
