import type { RosterEntry, ValidatorReport } from "./bus-messages.js";
import type { ValidatorRosterAdapter } from "./validator-roster.js";

/** The roster inside one process (embedded mode): same phases as in Redis, on this process's clock. */
export function createMemoryValidatorRoster(now: () => number = Date.now): ValidatorRosterAdapter & { close(): void } {
  const listeners = new Set<(report: ValidatorReport) => void>();
  const entries = new Map<string, { report: ValidatorReport; reportedAtMs: number; reachableUntilMs: number; listedUntilMs: number }>();
  return {
    async report(report, ttlMs) {
      const reportedAtMs = now();
      const reachableUntilMs = reportedAtMs + ttlMs;
      entries.set(report.validatorId, { report, reportedAtMs, reachableUntilMs, listedUntilMs: reachableUntilMs + report.maxStalenessMs });
      // Lapsed entries go when listed, and here too: nothing may list for a long time.
      for (const [id, entry] of entries) if (entry.listedUntilMs <= reportedAtMs) entries.delete(id);
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
      for (const [id, { report, reportedAtMs, reachableUntilMs, listedUntilMs }] of entries) {
        if (listedUntilMs <= at) entries.delete(id);
        else listed.push({ ...report, reachable: reachableUntilMs > at, heardAgoMs: at - reportedAtMs });
      }
      return listed;
    },
    close() {
      listeners.clear();
    },
  };
}
