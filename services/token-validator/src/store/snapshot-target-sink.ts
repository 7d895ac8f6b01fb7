import type { SnapshotSink } from "@tessera/shared/snapshot/database-snapshot";
import { packedTokenLength } from "@tessera/shared/snapshot/packed-token-layout";
import type { SnapshotTarget } from "../domain/feed-source.js";

/**
 * Tokens applied in one step, at first. Few: the first steps of a process run
 * before the JIT has compiled the loader, at tens of µs a token; a step that
 * ran quickly doubles the next, up to `maxTokensPerStep`, and the clock (not
 * the count) decides when to yield.
 */
const firstTokensPerStep = 16;
const maxTokensPerStep = 1024;
/** A step quicker than this may double. */
const quickStepMs = 0.5;
/** How long applying runs before it yields: bounds a stall while a snapshot loads. */
const sliceMs = 4;

/** The end of the packed token starting at `at`, or an error if `chunk` ends inside it. */
function tokenEnd(chunk: Uint8Array, at: number): number {
  const length = packedTokenLength(chunk, at);
  if (length === undefined || at + length > chunk.length) throw new Error("a snapshot chunk ends inside a token");
  return at + length;
}

/**
 * Applies a chunk of whole packed tokens a few hundred at a time, yielding to
 * the event loop whenever a slice has run `sliceMs`; returns how many it held.
 */
/** The step size reached so far in this process: the JIT's warmth outlives one chunk. */
let stepTokens = firstTokensPerStep;

export async function applyTokensInSlices(chunk: Uint8Array, into: SnapshotTarget): Promise<number> {
  await yieldWholeTurn(); // receiving the chunk was a slice already
  let count = 0;
  let sliceStart = performance.now();
  for (let start = 0; start < chunk.length; ) {
    let end = start;
    for (let n = 0; n < stepTokens && end < chunk.length; n++) end = tokenEnd(chunk, end);
    const stepStart = performance.now();
    count += into.addPackedTokens(chunk.subarray(start, end));
    start = end;
    const now = performance.now();
    if (now - stepStart < quickStepMs && stepTokens < maxTokensPerStep) stepTokens *= 2;
    if (now - sliceStart >= sliceMs) {
      await yieldWholeTurn();
      sliceStart = performance.now();
    }
  }
  return count;
}

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

/**
 * A clock for applying records one at a time: after each, `due()` is a yield
 * once `sliceMs` has run since the last one (else undefined). By the clock, not
 * a count: a record costs some 10 µs warm and ten times that before the JIT has
 * compiled the path, as in a process's first snapshot.
 */
export function sliceClock(): { due(): Promise<void> | undefined } {
  let sliceStart = performance.now();
  return {
    due() {
      if (performance.now() - sliceStart < sliceMs) return undefined;
      return yieldWholeTurn().then(() => {
        sliceStart = performance.now();
      });
    },
  };
}

/** A sink that applies to `into`, yielding to the event loop often enough that answers never wait long on a load. */
export function snapshotTargetSink(into: SnapshotTarget): SnapshotSink {
  const clock = sliceClock();
  return {
    record(record) {
      into.applyRecord(record);
      return clock.due();
    },
    async tokens(chunk) {
      await applyTokensInSlices(chunk, into);
    },
  };
}
