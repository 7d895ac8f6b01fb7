import { maxQueuedAlarms, type HoneytokenAlarmsAdapter } from "./honeytoken-alarms.js";

/** The honeytoken alarm queue inside one process (embedded mode). */
export function createMemoryHoneytokenAlarms(maxQueued = maxQueuedAlarms): HoneytokenAlarmsAdapter {
  let queued: Uint8Array[] = [];
  return {
    async push(use) {
      queued.push(use);
      if (queued.length > maxQueued) queued = queued.slice(queued.length - maxQueued);
    },
    async take(max) {
      const taken = queued.slice(0, max);
      queued = queued.slice(max);
      return taken;
    },
  };
}
