import type { UsageQueueAdapter } from "./usage-queue.js";

/** The usage queue inside one process (embedded mode). */
export function createMemoryUsageQueue(): UsageQueueAdapter {
  let queued: Uint8Array[] = [];
  return {
    async push(batch) {
      queued.push(batch);
    },
    async take(max) {
      const taken = queued.slice(0, max);
      queued = queued.slice(max);
      return taken;
    },
  };
}
