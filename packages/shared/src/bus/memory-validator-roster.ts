import type { RosterEntry, ValidatorReport } from "./bus-messages.js";
import type { ValidatorRosterAdapter } from "./validator-roster.js";

/** The roster inside one process (embedded mode): same phases as in Redis, on this process's clock. */
export function createMemoryValidatorRoster(now: () => number = Date.now): ValidatorRosterAdapter & { close(): void } {
  const listeners = new Set<(report: ValidatorReport) => void>();
  const entries = new Map<string, { report: ValidatorReport; reachableUntilMs: number; listedUntilMs: number }>();
  return {
    async report(report, ttlMs) {
      const reachableUntilMs = now() + ttlMs;
      entries.set(report.validatorId, { report, reachableUntilMs, listedUntilMs: reachableUntilMs + report.maxStalenessMs });
      for (const listener of listeners) listener(report);
    },
    async leave(validatorId) {
      entries.delete(validatorId);
    },
    async watch(listener) {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
    async list() {
      const listed: RosterEntry[] = [];
      const at = now();
      for (const [id, { report, reachableUntilMs, listedUntilMs }] of entries) {
        if (listedUntilMs <= at) entries.delete(id);
        else listed.push({ ...report, reachable: reachableUntilMs > at });
      }
      return listed;
    },
    close() {
      listeners.clear();
    },
  };
}
