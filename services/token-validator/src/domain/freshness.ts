import type { FeedHeartbeat } from "@tessera/shared/bus/bus-messages";

/**
 * How far an answer can be trusted: `current` proven by both paths (feed and
 * Postgres), `degraded` proven by one of them only, `stale` not proven within the bound.
 */
export type FreshnessState = "current" | "degraded" | "stale";

/** How far an answer can be trusted, as every answer states it. */
export interface FreshnessReading {
  readonly state: FreshnessState;
  /** Milliseconds since the replica was last proven current. */
  readonly stalenessMs: number;
  /** Empty when current; otherwise why not, for people. */
  readonly detail: string;
  /** False until the first snapshot has been applied: nothing is held yet. */
  readonly loaded: boolean;
}

/** The bounds of the rule below, from the validator's configuration. */
export interface FreshnessOptions {
  /** Past this without proof the replica is stale. */
  readonly maxStalenessMs: number;
  /** Also stale once no feed heartbeat has proven the replica within maxStalenessMs, however well polls go. */
  readonly feedRequired: boolean;
  /** A feed is configured, so its silence is worth reporting (false for a validator that only polls). */
  readonly feedExpected: boolean;
}

/** Taken just before a read of Postgres that may prove the replica current. */
export interface ProofAttempt {
  /** Every change committed before this instant is visible to the read that follows. */
  readonly atMs: number;
}

/** Heartbeats kept while the replica has not reached their head; the oldest go first. */
const maxPendingHeartbeats = 16;

/**
 * Tracks when the replica was last *proven* current. An open connection proves
 * nothing — a silent socket, a paused process or a blackholed network must all
 * count as stale — so only two things are proofs:
 *
 * - a read of Postgres (a poll of the feed head, a snapshot) that found nothing
 *   newer than what is applied: current as of the instant the read began;
 * - a feed heartbeat whose head is applied: current as of the instant the admin
 *   began reading that head, or of its arrival if earlier (the admin's clock may
 *   run ahead). A heartbeat ahead of the replica waits until the replica reaches
 *   its head, so a change committed but never published (an admin killed in that
 *   instant) keeps it from counting until change_log has been read.
 *
 * The rule, checked on every answer (the clock is read each time, so a process
 * that wakes from a pause is stale at once):
 * - STALE past maxStalenessMs without proof, or (feedRequired) without a feed proof;
 * - DEGRADED within the bound but proven by one path only (polls failing, or the feed silent);
 * - CURRENT otherwise.
 */
export class FreshnessTracker {
  private provenAtMs = Number.NEGATIVE_INFINITY;
  private feedProvenAtMs = Number.NEGATIVE_INFINITY;
  private lastPollFailed = false;
  private busConnected = false;
  /** When the subscription last came up: its silence is not reported before a whole bound has passed. */
  private busUpSinceMs = Number.NEGATIVE_INFINITY;
  private pending: { readonly headSeq: bigint; readonly atMs: number }[] = [];
  /** Bumped by every change of state: the last reading is reused for calls in the same millisecond (the hot path asks on every answer). */
  private version = 0;
  private memo: { readonly atMs: number; readonly version: number; readonly reading: FreshnessReading } | undefined;

  constructor(private readonly options: FreshnessOptions) {}

  /** Call just before the read that may prove the replica current; hand the result to proven(). */
  beginProof(nowMs: number): ProofAttempt {
    return { atMs: nowMs };
  }

  /** The read begun with `attempt` showed the replica holding every change committed before it. */
  proven(attempt: ProofAttempt): void {
    this.version++;
    this.provenAtMs = Math.max(this.provenAtMs, attempt.atMs);
    this.lastPollFailed = false;
  }

  pollFailed(): void {
    this.version++;
    this.lastPollFailed = true;
  }

  /** A feed heartbeat arrived at `receivedAtMs` while `appliedSeq` was applied. */
  heartbeat(heartbeat: FeedHeartbeat, receivedAtMs: number, appliedSeq: bigint): void {
    this.version++;
    const atMs = Math.min(receivedAtMs, heartbeat.readAtMs);
    if (heartbeat.headSeq <= appliedSeq) {
      this.creditFeed(atMs);
      return;
    }
    if (this.pending.length === maxPendingHeartbeats) this.pending.shift();
    this.pending.push({ headSeq: heartbeat.headSeq, atMs });
  }

  /** The replica reached `appliedSeq`: heartbeats up to it now prove it. */
  applied(appliedSeq: bigint): void {
    if (this.pending.length === 0) return;
    this.version++;
    const waiting = [];
    for (const proof of this.pending) {
      if (proof.headSeq <= appliedSeq) this.creditFeed(proof.atMs);
      else waiting.push(proof);
    }
    this.pending = waiting;
  }

  /** The subscription is live since `nowMs` (only what is reported depends on it, never a proof). */
  busUp(nowMs: number): void {
    this.version++;
    if (!this.busConnected) this.busUpSinceMs = nowMs;
    this.busConnected = true;
  }

  busDown(): void {
    this.version++;
    this.busConnected = false;
  }

  read(nowMs: number): FreshnessReading {
    const memo = this.memo;
    if (memo !== undefined && memo.atMs === nowMs && memo.version === this.version) return memo.reading;
    const reading = this.evaluate(nowMs);
    this.memo = { atMs: nowMs, version: this.version, reading };
    return reading;
  }

  private evaluate(nowMs: number): FreshnessReading {
    if (this.provenAtMs === Number.NEGATIVE_INFINITY) return { state: "stale", stalenessMs: 0, detail: "loading snapshot", loaded: false };
    const { maxStalenessMs, feedRequired, feedExpected } = this.options;
    const stalenessMs = Math.max(0, nowMs - this.provenAtMs);
    const feedLapsed = nowMs - this.feedProvenAtMs > maxStalenessMs;
    if (stalenessMs > maxStalenessMs) {
      const reasons = [this.lastPollFailed ? "database unreachable" : "", feedExpected || feedRequired ? this.feedProblem() : ""].filter(Boolean);
      return { state: "stale", stalenessMs, detail: `not proven current within max staleness${reasons.length ? `: ${reasons.join("; ")}` : ""}`, loaded: true };
    }
    if (feedRequired && feedLapsed) return { state: "stale", stalenessMs, detail: this.feedProblem(), loaded: true };
    if (this.lastPollFailed) return { state: "degraded", stalenessMs, detail: "database unreachable; proven current by the change feed", loaded: true };
    // A subscription just made has had no time to carry a heartbeat: not yet a fault worth reporting.
    if (feedExpected && feedLapsed && nowMs - this.busUpSinceMs > maxStalenessMs) return { state: "degraded", stalenessMs, detail: `${this.feedProblem()}; proven current by polling the database`, loaded: true };
    return { state: "current", stalenessMs, detail: "", loaded: true };
  }

  private creditFeed(atMs: number): void {
    this.feedProvenAtMs = Math.max(this.feedProvenAtMs, atMs);
    this.provenAtMs = Math.max(this.provenAtMs, atMs);
  }

  private feedProblem(): string {
    if (!this.busConnected) return "change feed disconnected";
    return this.pending.length > 0 ? "behind the change feed's head" : "change feed silent";
  }
}
