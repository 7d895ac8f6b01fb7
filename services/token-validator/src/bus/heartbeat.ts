import type { Bus } from "@tessera/shared/bus/bus";

export interface Heartbeat {
  /** The applied position moved: report it soon (coalesced to once per event-loop turn). */
  notify(): void;
  stop(): void;
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
  const report = () => {
    scheduled = false;
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
    stop: () => clearInterval(timer),
  };
}
