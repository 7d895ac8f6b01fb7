import { fromBinary } from "@bufbuild/protobuf";
import type { FeedHeartbeat } from "@tessera/shared/bus/bus-messages";
import { ChangeEventSchema, type ChangeEvent, type ChangeRecord } from "@tessera/shared/gen/tessera/feed/v1/feed_pb";
import type { Logger } from "@tessera/shared/log/logger";
import type { ChangeFeed } from "./change-feed.js";
import type { FeedSource } from "./feed-source.js";
import type { FreshnessTracker } from "./freshness.js";
import { everyOrganisation, type OrganisationScope } from "./organisation-scope.js";
import { Replica } from "./replica.js";

/** What a follower reads from, reports to, and how often it polls. */
export interface FeedFollowerDeps {
  readonly source: FeedSource;
  readonly feed: ChangeFeed;
  readonly freshness: FreshnessTracker;
  readonly log: Logger;
  readonly now: () => number;
  readonly pollIntervalMs: number;
  /**
   * Told after every change to the applied position; `acknowledge` when what was
   * applied asks for a report at once (a writer waits for it) or came with a snapshot.
   */
  readonly onApplied?: (seq: bigint, acknowledge: boolean) => void;
  /** Told of every feed message that failed authentication or decoding (metrics). */
  readonly onRejected?: () => void;
  /**
   * The organisations the replica holds; default every one. The snapshot source must
   * read the same ones (this filters events only).
   */
  readonly scope?: OrganisationScope;
  /** Events held while a snapshot loads, or ahead of a gap; past this, change_log is re-read instead. Default 10,000. */
  readonly maxHeldEvents?: number;
}

/** Changes fetched from change_log per query while catching up. */
const catchUpBatch = 1000;
/**
 * A heartbeat ahead of the replica usually overtook an event still on its way;
 * if the replica has not caught up this long after, the event was lost: poll.
 */
const heartbeatGraceMs = 100;

/**
 * A task that runs one at a time and, when asked again while running, runs once
 * more: whoever asks waits for a run that began after the asking, never for one
 * whose reads may predate what prompted the ask.
 */
function coalescing(task: () => Promise<void>, stopped: () => boolean): () => Promise<void> {
  let running: Promise<void> | undefined;
  let again = false;
  return () => {
    again = true;
    running ??= (async () => {
      try {
        while (again && !stopped()) {
          again = false;
          await task();
        }
      } finally {
        running = undefined;
      }
    })();
    return running;
  };
}

const bySeq = (a: ChangeEvent, b: ChangeEvent) => (a.seq < b.seq ? -1 : a.seq > b.seq ? 1 : 0);

/**
 * Keeps a replica equal to Postgres, following the change feed:
 * subscribe first (holding events), load a snapshot (head seq + live records),
 * then apply held events above the head; from then on apply strictly in seq
 * order, ignore duplicates and old events, fill gaps from change_log, and poll
 * the head every interval and on every bus reconnect. A lost publish therefore
 * costs at most one poll interval.
 *
 * Race safety: every read of Postgres (a change_log range, a snapshot) is
 * stamped with the seq it reflects, and only `receive` moves the replica, in seq
 * order; so nothing read before a change can undo it after it was applied. The
 * reads themselves run one at a time (`sync`), and a reloaded replica is never
 * swapped in behind the one it replaces.
 */
export class FeedFollower {
  /** The replica decisions read; replaced whole when a snapshot is reloaded. */
  replica = new Replica();
  /** Set once the first snapshot is in: before that there is nothing to apply events to. */
  private loaded = false;
  /** A snapshot is loading: events are held for it. */
  private holding = false;
  private held: ChangeEvent[] = [];
  private heldOverflow = false;
  /** change_log cannot bring us up to date (pruned past us, or the feed went backwards): reload. */
  private needSnapshot = true;
  /** The head fell below what we applied (a restored database): the reload may, and must, step back. */
  private feedWentBack = false;
  /** The bus (re)connected while a snapshot was being read: what it missed may postdate the snapshot. */
  private connectedDuringLoad = false;
  private readonly ahead = new Map<bigint, ChangeEvent>();
  private readonly maxHeldEvents: number;
  private readonly scope: OrganisationScope;
  private timer: NodeJS.Timeout | undefined;
  private closed = false;
  private lastPollErrorLogMs = 0;
  private lastRejectLogMs = 0;
  private heartbeatCheck: NodeJS.Timeout | undefined;
  /** The one reader of change_log and snapshots: catches up, or reloads when it must. */
  private readonly sync: () => Promise<void>;
  private readonly pollCoalesced: () => Promise<void>;

  constructor(private readonly deps: FeedFollowerDeps) {
    this.maxHeldEvents = deps.maxHeldEvents ?? 10_000;
    this.scope = deps.scope ?? everyOrganisation;
    this.sync = coalescing(() => (this.needSnapshot ? this.reloadSnapshot() : this.catchUp()), () => this.closed);
    this.pollCoalesced = coalescing(() => this.pollOnce(), () => this.closed);
  }

  /** Resolves once the first snapshot is applied (retrying until it is); polls from then on. */
  async start(): Promise<void> {
    this.deps.freshness.busDown(); // not subscribed yet
    await this.deps.feed.subscribe({
      onChange: (event) => this.onEvent(event),
      onHeartbeat: (heartbeat) => this.onHeartbeat(heartbeat),
      onConnected: () => {
        this.deps.freshness.busUp(this.deps.now());
        // Anything published while we were away is lost to us: ask Postgres (after the snapshot, if one is loading).
        if (this.holding) this.connectedDuringLoad = true;
        void this.poll();
      },
      onDisconnected: () => this.deps.freshness.busDown(),
      onRejected: () => this.onRejected(),
    });
    // Postgres may be down, or not yet migrated, when we start: keep trying, not ready meanwhile.
    for (let delayMs = 250; !this.closed && !this.loaded; delayMs = Math.min(delayMs * 2, 5000)) {
      try {
        await this.sync();
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
    clearTimeout(this.heartbeatCheck);
  }

  /**
   * Checks the feed head and catches up to it; a success proves the replica
   * current. One poll at a time; asked during one, another follows it. Never throws.
   */
  poll(): Promise<void> {
    if (this.closed || !this.loaded) return Promise.resolve();
    return this.pollCoalesced();
  }

  private async pollOnce(): Promise<void> {
    const attempt = this.deps.freshness.beginProof(this.deps.now());
    const appliedBefore = this.replica.appliedSeq;
    try {
      const head = await this.deps.source.readHead();
      if (head < appliedBefore) {
        // Nothing we applied can be newer than the head: the database went back (a restore).
        this.deps.log.error({ appliedSeq: String(appliedBefore), head: String(head) }, "feed head is behind the replica; reloading snapshot");
        this.needSnapshot = true;
        this.feedWentBack = true;
      }
      if (head > this.replica.appliedSeq || this.needSnapshot) await this.sync();
      if (this.replica.appliedSeq < head) {
        // A full catch-up begun after the head was read still falls short: change_log was pruned past us.
        this.needSnapshot = true;
        await this.sync();
      }
      if (this.replica.appliedSeq >= head) this.deps.freshness.proven(attempt);
    } catch (err) {
      this.deps.freshness.pollFailed();
      if (attempt.atMs - this.lastPollErrorLogMs > 10_000) {
        this.lastPollErrorLogMs = attempt.atMs;
        this.deps.log.warn({ err: (err as Error).message }, "feed poll failed");
      }
    }
  }

  private onEvent(event: ChangeEvent): void {
    if (this.holding) {
      if (this.held.length < this.maxHeldEvents) this.held.push(event);
      else this.heldOverflow = true;
    }
    // While a reload runs, the current replica keeps serving and keeps up.
    if (this.loaded) this.receive(event);
  }

  /** A proof of the head: counts once the replica has reached it; if it does not soon, an event was lost. */
  private onHeartbeat(heartbeat: FeedHeartbeat): void {
    this.deps.freshness.heartbeat(heartbeat, this.deps.now(), this.replica.appliedSeq);
    if (!this.loaded || heartbeat.headSeq <= this.replica.appliedSeq || this.heartbeatCheck) return;
    this.heartbeatCheck = setTimeout(() => {
      this.heartbeatCheck = undefined;
      if (this.replica.appliedSeq < heartbeat.headSeq) void this.poll();
    }, heartbeatGraceMs);
    this.heartbeatCheck.unref();
  }

  private onRejected(): void {
    this.deps.onRejected?.();
    const nowMs = this.deps.now();
    if (nowMs - this.lastRejectLogMs < 10_000) return;
    this.lastRejectLogMs = nowMs;
    this.deps.log.warn("refused a change-feed message that failed authentication: is something other than token-admin publishing on the channel, or is the pepper different?");
  }

  /** The only way the serving replica moves: strictly the next seq, else held ahead and the gap filled. */
  private receive(event: ChangeEvent): void {
    const next = this.replica.appliedSeq + 1n;
    if (event.seq < next) return; // duplicate, or already covered by a snapshot or a fill
    if (event.seq === next) {
      this.apply(event);
      return;
    }
    if (this.ahead.size < this.maxHeldEvents) this.ahead.set(event.seq, event);
    this.sync().catch(() => {}); // the poll retries and reports
  }

  private apply(event: ChangeEvent): void {
    this.applyTo(this.replica, event.seq, event.records);
    let acknowledge = event.acknowledge;
    // Events that arrived early may now be next.
    for (let seq = event.seq + 1n; this.ahead.has(seq); seq++) {
      const early = this.ahead.get(seq)!;
      this.applyTo(this.replica, seq, early.records);
      acknowledge ||= early.acknowledge;
      this.ahead.delete(seq);
    }
    for (const seq of this.ahead.keys()) if (seq <= this.replica.appliedSeq) this.ahead.delete(seq);
    this.deps.freshness.applied(this.replica.appliedSeq);
    this.deps.onApplied?.(this.replica.appliedSeq, acknowledge);
  }

  /** Applies an event's records within the scope, and moves to its seq whatever the scope kept. */
  private applyTo(replica: Replica, seq: bigint, records: readonly ChangeRecord[]): void {
    replica.applyEvent(seq, this.scope.recordsToApply(records));
  }

  /** Reads change_log past the applied position until there is nothing more (run only through `sync`). */
  private async catchUp(): Promise<void> {
    for (;;) {
      const from = this.replica.appliedSeq;
      const changes = await this.deps.source.readChanges(from, catchUpBatch);
      if (changes.length === 0) return;
      // Seqs are gap-free, so a first row past our next one means the rows between were pruned.
      // (Live events may have filled that hole meanwhile: then the rows simply apply.)
      if (changes[0]!.seq > this.replica.appliedSeq + 1n) {
        this.deps.log.warn({ appliedSeq: String(this.replica.appliedSeq), oldest: String(changes[0]!.seq) }, "change_log pruned past our position; reloading snapshot");
        this.needSnapshot = true;
        this.sync().catch(() => {}); // runs once more, as a reload, when this pass ends
        return;
      }
      for (const change of changes) this.receive(fromBinary(ChangeEventSchema, change.event));
      if (changes.length < catchUpBatch) return;
    }
  }

  /** Builds a fresh replica from a snapshot and swaps it in, then applies events held meanwhile (run only through `sync`). */
  private async reloadSnapshot(): Promise<void> {
    this.holding = true;
    this.held = [];
    this.heldOverflow = false;
    this.connectedDuringLoad = false;
    const attempt = this.deps.freshness.beginProof(this.deps.now());
    try {
      const fresh = new Replica();
      fresh.appliedSeq = await this.deps.source.readSnapshot(fresh);
      fresh.snapshotLoaded();
      // The serving replica kept applying live events; when more came than could be
      // held, it may be ahead of the snapshot. Bring the fresh one up to it from
      // change_log first, so that swapping never steps back past a revocation.
      while (this.loaded && !this.feedWentBack && fresh.appliedSeq < this.replica.appliedSeq) {
        const changes = await this.deps.source.readChanges(fresh.appliedSeq, catchUpBatch);
        if (changes[0]?.seq !== fresh.appliedSeq + 1n) throw new Error("change_log does not reach the serving replica's position");
        for (const change of changes) this.applyTo(fresh, change.seq, fromBinary(ChangeEventSchema, change.event).records);
      }
      // From here to the end of the swap nothing awaits, so no event can slip between.
      this.replica = fresh;
      this.loaded = true;
      this.needSnapshot = false;
      this.feedWentBack = false;
      this.holding = false;
      this.ahead.clear();
      const held = this.held.sort(bySeq);
      this.held = [];
      for (const event of held) this.receive(event);
      this.deps.freshness.proven(attempt);
      this.deps.freshness.applied(this.replica.appliedSeq);
      // A snapshot may hold changes whose events never came, some awaited: report at once (reloads are rare).
      this.deps.onApplied?.(this.replica.appliedSeq, true);
      // Some events were not held: read them from change_log on the next pass.
      if (this.heldOverflow) this.sync().catch(() => {});
      if (this.connectedDuringLoad) void this.poll();
    } finally {
      this.holding = false;
      this.held = [];
    }
  }
}
