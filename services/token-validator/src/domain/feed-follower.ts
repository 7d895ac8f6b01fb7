import { fromBinary } from "@bufbuild/protobuf";
import type { Bus } from "@tessera/shared/bus/bus";
import { ChangeEventSchema, type ChangeEvent } from "@tessera/shared/gen/tessera/feed/v1/feed_pb";
import type { Logger } from "@tessera/shared/log/logger";
import type { FeedSource } from "./feed-source.js";
import type { FreshnessTracker } from "./freshness.js";
import { Replica } from "./replica.js";

export interface FeedFollowerDeps {
  readonly source: FeedSource;
  readonly bus: Bus;
  readonly freshness: FreshnessTracker;
  readonly log: Logger;
  readonly now: () => number;
  readonly pollIntervalMs: number;
  /** Told after every change to the applied position (heartbeats, metrics). */
  readonly onApplied?: (seq: bigint) => void;
}

/** Changes fetched from change_log per query while catching up. */
const catchUpBatch = 1000;
/** Events held while a snapshot loads, or ahead of a gap; past this, change_log is re-read instead. */
const maxHeldEvents = 10_000;

/**
 * Keeps a replica equal to Postgres, following the change feed:
 * subscribe first (holding events), load a snapshot (head seq + live records),
 * then apply held events above the head; from then on apply strictly in seq
 * order, ignore duplicates and old events, fill gaps from change_log, and poll
 * the head every interval and on every bus reconnect. A lost publish therefore
 * costs at most one poll interval.
 */
export class FeedFollower {
  /** The replica decisions read; replaced whole when a snapshot is reloaded. */
  replica = new Replica();
  private snapshotting = false;
  private loading: Promise<void> | undefined;
  /** Set once the first snapshot is in: before that there is nothing to apply events to. */
  private loaded = false;
  private heldDuringSnapshot: ChangeEvent[] = [];
  private heldOverflow = false;
  private readonly ahead = new Map<bigint, ChangeEvent>();
  private catchingUp: Promise<void> | undefined;
  private timer: NodeJS.Timeout | undefined;
  private closed = false;
  private lastPollErrorLogMs = 0;

  constructor(private readonly deps: FeedFollowerDeps) {}

  /** Resolves once the first snapshot is applied (retrying until it is); polls from then on. */
  async start(): Promise<void> {
    this.snapshotting = true; // hold events from the moment we subscribe
    await this.deps.bus.subscribeChanges({
      onEvent: (bytes) => this.onEvent(bytes),
      onConnected: () => {
        this.deps.freshness.busUp();
        // Anything published while we were away is lost to us: ask Postgres.
        if (!this.snapshotting) void this.poll();
      },
      onDisconnected: () => this.deps.freshness.busDown(),
    });
    // Postgres may be down, or not yet migrated, when we start: keep trying, not ready meanwhile.
    for (let delayMs = 250; !this.closed; delayMs = Math.min(delayMs * 2, 5000)) {
      try {
        await this.loadSnapshot();
        break;
      } catch (err) {
        this.deps.log.warn({ err: (err as Error).message, retryInMs: delayMs }, "snapshot failed");
        await new Promise((resolve) => setTimeout(resolve, delayMs));
      }
    }
    this.timer = setInterval(() => void this.poll(), this.deps.pollIntervalMs);
    this.timer.unref();
  }

  close(): void {
    this.closed = true;
    clearInterval(this.timer);
  }

  /** Checks the feed head and catches up to it; a success proves the replica current. */
  async poll(): Promise<void> {
    if (this.closed || this.snapshotting) return;
    const startedAtMs = this.deps.now();
    try {
      const head = await this.deps.source.readHead();
      if (head > this.replica.appliedSeq) await this.catchUp();
      if (this.replica.appliedSeq >= head) this.deps.freshness.proven(startedAtMs);
    } catch (err) {
      this.deps.freshness.pollFailed();
      if (startedAtMs - this.lastPollErrorLogMs > 10_000) {
        this.lastPollErrorLogMs = startedAtMs;
        this.deps.log.warn({ err: (err as Error).message }, "feed poll failed");
      }
    }
  }

  private onEvent(bytes: Uint8Array): void {
    let event: ChangeEvent;
    try {
      event = fromBinary(ChangeEventSchema, bytes);
    } catch {
      this.deps.log.warn("ignored an undecodable change event");
      return;
    }
    if (this.snapshotting) {
      if (this.heldDuringSnapshot.length < maxHeldEvents) this.heldDuringSnapshot.push(event);
      else this.heldOverflow = true;
    }
    // While a reload runs, the current replica keeps serving and keeps up.
    if (this.loaded) this.receive(event);
  }

  private receive(event: ChangeEvent): void {
    const next = this.replica.appliedSeq + 1n;
    if (event.seq < next) return; // duplicate or already covered by a snapshot
    if (event.seq === next) {
      this.apply(event);
      return;
    }
    if (this.ahead.size < maxHeldEvents) this.ahead.set(event.seq, event);
    this.deps.freshness.gap(true);
    void this.catchUp().catch(() => {}); // the poll retries and reports
  }

  private apply(event: ChangeEvent): void {
    this.replica.applyEvent(event.seq, event.records);
    // Events that arrived early may now be next.
    for (let seq = event.seq + 1n; this.ahead.has(seq); seq++) {
      this.replica.applyEvent(seq, this.ahead.get(seq)!.records);
      this.ahead.delete(seq);
    }
    for (const seq of this.ahead.keys()) if (seq <= this.replica.appliedSeq) this.ahead.delete(seq);
    this.deps.freshness.gap(this.ahead.size > 0);
    this.deps.onApplied?.(this.replica.appliedSeq);
  }

  /** Reads change_log past the applied position until there is nothing more. One at a time. */
  private catchUp(): Promise<void> {
    this.catchingUp ??= (async () => {
      try {
        for (;;) {
          const from = this.replica.appliedSeq;
          const changes = await this.deps.source.readChanges(from, catchUpBatch);
          if (changes.length === 0) return;
          if (changes[0]!.seq !== from + 1n) {
            // change_log no longer reaches back to us (pruned): start over from a snapshot.
            this.deps.log.warn({ appliedSeq: String(from), oldest: String(changes[0]!.seq) }, "change_log pruned past our position; reloading snapshot");
            // Not awaited: the reload may itself need to catch up, which waits for us.
            void this.loadSnapshot();
            return;
          }
          for (const change of changes) this.receive(fromBinary(ChangeEventSchema, change.event));
          if (changes.length < catchUpBatch) return;
        }
      } finally {
        this.catchingUp = undefined;
      }
    })();
    return this.catchingUp;
  }

  /** Builds a fresh replica from a snapshot and swaps it in, then replays events held meanwhile. One at a time. */
  private loadSnapshot(): Promise<void> {
    this.loading ??= this.reloadSnapshot().finally(() => (this.loading = undefined));
    return this.loading;
  }

  private async reloadSnapshot(): Promise<void> {
    this.snapshotting = true;
    this.heldDuringSnapshot = [];
    this.heldOverflow = false;
    const startedAtMs = this.deps.now();
    try {
      const fresh = new Replica();
      const head = await this.deps.source.readSnapshot((records) => {
        for (const record of records) fresh.applyRecord(record);
      });
      fresh.appliedSeq = head;
      this.replica = fresh;
      this.loaded = true;
      this.ahead.clear();
      this.snapshotting = false;
      const held = this.heldDuringSnapshot.sort((a, b) => (a.seq < b.seq ? -1 : a.seq > b.seq ? 1 : 0));
      this.heldDuringSnapshot = [];
      for (const event of held) this.receive(event);
      this.deps.freshness.proven(startedAtMs);
      this.deps.onApplied?.(this.replica.appliedSeq);
      // Some events were not held: read them from change_log (not awaited: a catch-up may be what called us).
      if (this.heldOverflow) void this.catchUp().catch(() => {});
    } finally {
      this.snapshotting = false;
    }
  }
}
