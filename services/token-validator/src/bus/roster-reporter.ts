import type { ValidatorReport } from "@tessera/shared/bus/bus-messages";

/** The roster as a validator uses it. */
export interface RosterMembership {
  report(report: ValidatorReport, ttlMs: number): Promise<void>;
  leave(validatorId: string): Promise<void>;
}

/** A validator's running reports to the roster. */
export interface RosterReporter {
  /** The applied position moved: report it soon (coalesced to once per event-loop turn). */
  notify(): void;
  /** Stops reporting and leaves the roster, so no RevokeToken waits for a validator that has left. */
  stop(): Promise<void>;
}

/**
 * Tells token-admin what this validator has applied and how fresh it is: at once
 * after a change a writer waits for (so a RevokeToken waiting for
 * acknowledgements returns fast) and every interval (so the roster counts it
 * reachable, and positions nobody awaits still arrive). Failures are ignored: a
 * validator whose reports lapse is listed unreachable, then forgotten.
 */
export function startRosterReporter(roster: RosterMembership, intervalMs: number, current: () => ValidatorReport): RosterReporter {
  const ttlMs = intervalMs * 3;
  let scheduled = false;
  let stopped = false;
  const report = () => {
    scheduled = false;
    // A report due after stop() would bring the validator back for a whole TTL.
    if (stopped) return;
    roster.report(current(), ttlMs).catch(() => {});
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
      await roster.leave(current().validatorId).catch(() => {});
    },
  };
}
