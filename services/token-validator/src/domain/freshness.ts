import { Freshness } from "@tessera/shared/gen/tessera/v1/validator_pb";

/** How far an answer can be trusted, as every answer states it. */
export interface FreshnessReading {
  readonly freshness: Freshness;
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
  /** How long an unbroken bus subscription may stand in for proof when Postgres is unreachable. */
  readonly degradedMaxMs: number;
  /** Also stale once the bus subscription has been down for longer than maxStalenessMs, however well polls go. */
  readonly feedRequired: boolean;
}

/** Taken just before a read of Postgres that may prove the replica current. */
export interface ProofAttempt {
  /** Every change committed before this instant is visible to the read that follows. */
  readonly atMs: number;
  /** The bus epoch when the read began; -1 if the bus was down. */
  readonly busEpoch: number;
}

/**
 * Tracks when the replica was last proven current and whether the bus has
 * delivered every event since. The rule:
 *
 * - CURRENT: proven within maxStalenessMs — a poll saw the feed head at or below
 *   what is applied (or a snapshot was just loaded). The bus plays no part: with
 *   Redis down, polls alone bring every change within one poll interval, and
 *   refusing then would turn a Redis blip into an outage for no safety gained.
 *   Unless feedRequired: then a subscription down for longer than maxStalenessMs
 *   makes the replica STALE even though polls succeed;
 * - DEGRADED: not proven for longer (Postgres unreachable), but the bus
 *   subscription has stayed connected, with no unfilled gap, since the read that
 *   gave the last proof began, and that proof is younger than degradedMaxMs.
 *   Every change the admin published has then been applied; only one committed
 *   but never published (an admin crash in that instant) could be missing;
 * - STALE: otherwise. The validator refuses (or, if configured, allows) and says so.
 */
export class FreshnessTracker {
  private provenAtMs = Number.NEGATIVE_INFINITY;
  private busConnected = false;
  /** Since when the bus has been down; undefined while it is up. */
  private busDownSinceMs: number | undefined;
  /** Bumped on every disconnect: a proof stands in for the bus only if the epoch is unchanged. */
  private busEpoch = 0;
  private busEpochAtProof = -1;
  private gapOpen = false;
  private lastPollFailed = false;

  constructor(private readonly options: FreshnessOptions) {}

  /** Call just before the read that may prove the replica current; hand the result to proven(). */
  beginProof(nowMs: number): ProofAttempt {
    return { atMs: nowMs, busEpoch: this.busConnected ? this.busEpoch : -1 };
  }

  /** The read begun with `attempt` showed the replica holding every change committed before it. */
  proven(attempt: ProofAttempt): void {
    if (attempt.atMs >= this.provenAtMs) {
      this.provenAtMs = attempt.atMs;
      this.busEpochAtProof = attempt.busEpoch;
    }
    this.lastPollFailed = false;
  }

  pollFailed(): void {
    this.lastPollFailed = true;
  }

  /** The subscription is live again (and subscribed: events published from now on arrive). */
  busUp(): void {
    this.busConnected = true;
    this.busDownSinceMs = undefined;
  }

  /** The subscription is down (or not up yet) since `atMs`: events may be lost. */
  busDown(atMs: number): void {
    if (this.busConnected) {
      this.busEpoch++;
      this.busDownSinceMs = atMs;
    }
    this.busDownSinceMs ??= atMs;
    this.busConnected = false;
  }

  /** An event arrived ahead of its predecessors (open) or they were all fetched (closed). */
  gap(open: boolean): void {
    this.gapOpen = open;
  }

  read(nowMs: number): FreshnessReading {
    const loaded = this.provenAtMs !== Number.NEGATIVE_INFINITY;
    if (!loaded) return { freshness: Freshness.STALE, stalenessMs: 0, detail: "loading snapshot", loaded };
    const stalenessMs = Math.max(0, nowMs - this.provenAtMs);
    const feedLost = this.options.feedRequired && this.busDownSinceMs !== undefined && nowMs - this.busDownSinceMs > this.options.maxStalenessMs;
    if (!feedLost && stalenessMs <= this.options.maxStalenessMs) return { freshness: Freshness.CURRENT, stalenessMs, detail: "", loaded };
    const busContiguous = this.busConnected && this.busEpoch === this.busEpochAtProof && !this.gapOpen;
    if (busContiguous && stalenessMs <= this.options.degradedMaxMs) {
      return { freshness: Freshness.DEGRADED, stalenessMs, detail: "database unreachable; change feed contiguous", loaded };
    }
    const reasons = [
      this.lastPollFailed ? "database unreachable" : "",
      this.busConnected ? "" : "change feed disconnected",
      this.gapOpen ? "change feed gap unfilled" : "",
      busContiguous ? "degraded bound exceeded" : "",
    ].filter(Boolean);
    return { freshness: Freshness.STALE, stalenessMs, detail: reasons.join("; ") || "not proven current", loaded };
  }
}
