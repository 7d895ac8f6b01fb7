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

export interface FreshnessOptions {
  /** Past this without proof the replica is stale. */
  readonly maxStalenessMs: number;
  /** How long an unbroken bus subscription may stand in for proof when Postgres is unreachable. */
  readonly degradedMaxMs: number;
}

/**
 * Tracks when the replica was last proven current and whether the bus has
 * delivered every event since. The rule:
 *
 * - CURRENT: proven within maxStalenessMs — a poll saw the feed head at or below
 *   what is applied (or a snapshot was just loaded);
 * - DEGRADED: not proven for longer (Postgres unreachable), but the bus
 *   subscription has stayed connected, with no unfilled gap, since the last
 *   proof, and that proof is younger than degradedMaxMs. Every change the admin
 *   could publish has then been applied; only one committed but never published
 *   (an admin crash in that instant) could be missing;
 * - STALE: otherwise. The validator refuses (or, if configured, allows) and says so.
 */
export class FreshnessTracker {
  private provenAtMs = Number.NEGATIVE_INFINITY;
  private busConnected = false;
  /** Bumped on every disconnect: a proof stands in for the bus only if the epoch is unchanged. */
  private busEpoch = 0;
  private busEpochAtProof = -1;
  private gapOpen = false;
  private lastPollFailed = false;

  constructor(private readonly options: FreshnessOptions) {}

  /** The replica held every change committed at `atMs` (taken before the proving read began). */
  proven(atMs: number): void {
    if (atMs > this.provenAtMs) this.provenAtMs = atMs;
    this.busEpochAtProof = this.busConnected ? this.busEpoch : -1;
    this.lastPollFailed = false;
  }

  pollFailed(): void {
    this.lastPollFailed = true;
  }

  busUp(): void {
    this.busConnected = true;
  }

  busDown(): void {
    if (this.busConnected) this.busEpoch++;
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
    if (stalenessMs <= this.options.maxStalenessMs) return { freshness: Freshness.CURRENT, stalenessMs, detail: "", loaded };
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
