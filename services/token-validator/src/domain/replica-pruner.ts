import type { Logger } from "@tessera/shared/log/logger";
import { toReplicaSeconds, type Replica } from "./replica.js";

/** What the pruner works on and how often. */
export interface ReplicaPrunerDeps {
  /** The serving replica, read at every slice: a snapshot reload replaces it whole. */
  readonly replica: () => Replica;
  /** How long a dead token (revoked, expired, its parent dead) or a replaced value stays held, so callers hear why. */
  readonly retentionMs: number;
  /** Between the end of one sweep and the start of the next. */
  readonly intervalMs: number;
  readonly now: () => number;
  readonly log: Logger;
  /** Told after every complete sweep (tests, metrics). */
  readonly onSwept?: (result: SweepResult) => void;
}

export interface SweepResult {
  readonly live: number;
  readonly retained: number;
  readonly dropped: number;
}

/** How long one slice runs before yielding: answers wait at most about this long for the sweep. */
const sliceMs = 2;
/** Slots swept between looks at the clock. */
const slotsPerClockCheck = 256;

const yieldToEventLoop = () => new Promise<void>((resolve) => setImmediate(resolve));

/**
 * Walks the replica on a schedule, a few milliseconds at a time, and lets go of
 * what can no longer change an answer: tokens dead for longer than the
 * retention, regenerated values past their grace plus the retention (the
 * owners and scope sets they alone used go with them). Nothing is added to the
 * request path: decisions read the same table they always did.
 */
export class ReplicaPruner {
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<SweepResult | undefined> | undefined;
  private stopped = false;

  constructor(private readonly deps: ReplicaPrunerDeps) {}

  start(): void {
    this.schedule();
  }

  stop(): void {
    this.stopped = true;
    clearTimeout(this.timer);
  }

  /** One complete sweep (or the one running); undefined if the replica was replaced or the pruner stopped meanwhile. */
  sweep(): Promise<SweepResult | undefined> {
    this.running ??= this.sweepOnce().finally(() => (this.running = undefined));
    return this.running;
  }

  private schedule(): void {
    if (this.stopped) return;
    this.timer = setTimeout(() => {
      this.sweep()
        .catch((err: unknown) => this.deps.log.warn({ err: (err as Error).message }, "replica sweep failed"))
        .finally(() => this.schedule());
    }, this.deps.intervalMs);
    this.timer.unref();
  }

  private async sweepOnce(): Promise<SweepResult | undefined> {
    const replica = this.deps.replica();
    const counts = { live: 0, retained: 0, dropped: 0 };
    // Slots are walked in order; a token added meanwhile lands in a free slot or past the end, and is swept next time if not now.
    for (let slot = 0; slot < replica.table.slotLimit; ) {
      const sliceStart = performance.now();
      // Read once per slice: applying, and a reload's swap, happen only between slices.
      const nowMs = this.deps.now();
      const now = toReplicaSeconds(nowMs);
      const cutoff = toReplicaSeconds(nowMs - this.deps.retentionMs);
      for (let n = 1; slot < replica.table.slotLimit; n++, slot++) {
        replica.sweepSlot(slot, now, cutoff, counts);
        if (n % slotsPerClockCheck === 0 && performance.now() - sliceStart >= sliceMs) break;
      }
      await yieldToEventLoop();
      if (this.stopped || this.deps.replica() !== replica) return undefined;
    }
    replica.retainedCount = counts.retained;
    this.deps.onSwept?.(counts);
    return counts;
  }
}
