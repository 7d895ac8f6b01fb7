import type { Bus } from "@tessera/shared/bus/bus";

/** A validator's running heartbeat. */
export interface Heartbeat {
  /** The applied position moved: report it soon (coalesced to once per event-loop turn). */
  notify(): void;
  /** Stops reporting and removes this validator's key, so no RevokeToken waits for a validator that has left. */
  stop(): Promise<void>;
}

/**
 * Tells the admin side which feed position this validator has applied: at once
 * after a change (so a RevokeToken waiting for acknowledgements returns fast)
 * and every interval (so the key's TTL marks the validator live). Failures are
 * ignored: a validator whose heartbeat lapses simply stops being counted.
 */
export function startHeartbeat(bus: Bus, validatorId: string, intervalMs: number, appliedSeq: () => bigint): Heartbeat {
  const ttlMs = intervalMs * 3;
  let scheduled = false;
  let stopped = false;
  const report = () => {
    scheduled = false;
    // A report due after stop() would bring the key back for a whole TTL.
    if (stopped) return;
    bus.reportApplied({ validatorId, appliedSeq: appliedSeq() }, ttlMs).catch(() => {});
  };
  const timer = setInterval(report, intervalMs);
  timer.unref();
  return {
    notify() {
      if (scheduled) return;
      scheduled = true;
      setImmediate(report);
    },
    async stop() {
      stopped = true;
      clearInterval(timer);
      // Sent on the connection that carried the reports, so it lands after the last of them.
      await bus.forgetValidator(validatorId).catch(() => {});
    },
  };
}
