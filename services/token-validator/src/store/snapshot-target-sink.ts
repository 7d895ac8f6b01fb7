import type { SnapshotSink } from "@tessera/shared/snapshot/database-snapshot";
import type { SnapshotTarget } from "../domain/feed-source.js";

/** Records applied between two yields: each is some 10 µs. */
const recordsPerSlice = 1_000;

export const yieldToEventLoop = () => new Promise<void>((resolve) => setImmediate(resolve));

/**
 * A whole turn of the event loop, timers included. A chunk arrives in the poll
 * phase, and a single setImmediate resumes in the check phase of the same turn,
 * so work resumed after one yield would run on from the receiving with no timer between.
 */
export const yieldWholeTurn = async () => {
  await yieldToEventLoop();
  await yieldToEventLoop();
};

/** A sink that applies to `into`, yielding to the event loop often enough that answers never wait long on a load. */
export function snapshotTargetSink(into: SnapshotTarget): SnapshotSink {
  let records = 0;
  return {
    record(record) {
      into.applyRecord(record);
      if (++records % recordsPerSlice === 0) return yieldToEventLoop();
    },
    async tokens(chunk) {
      await yieldWholeTurn(); // receiving the chunk was a slice already
      into.addPackedTokens(chunk);
    },
  };
}
