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
/**
 * How long applying runs before it yields: bounds a stall while a snapshot
 * loads. Short, as a young-generation GC of the objects a load makes (10-15 ms
 * here) can land inside a slice: at 4 ms the worst stalls of a 1 M-token load
 * were 15-28 ms, at 2 ms 14-19 ms, for the same load time.
 */
const sliceMs = 2;

/** How long the row at `at` is (packedTokenLength, profiledTokenLength), or undefined if cut short. */
type RowLength = (bytes: Uint8Array, at: number) => number | undefined;

/** The end of the row starting at `at`, or an error if `chunk` ends inside it. */
function rowEnd(chunk: Uint8Array, at: number, lengthOf: RowLength): number {
  const length = lengthOf(chunk, at);
  if (length === undefined || at + length > chunk.length) throw new Error("a snapshot chunk ends inside a token");
  return at + length;
}

/** A step slower than this halves the next. */
const slowStepMs = 2;

/**
 * How many rows of one kind a step applies, for the life of the process (the
 * JIT's warmth outlives a chunk): doubled after a quick step, halved after a
 * slow one. One per kind: a profile seen for the first time costs tens of
 * times what a token row does.
 */
export class StepSize {
  rows = firstTokensPerStep;
  after(ms: number): void {
    if (ms < quickStepMs && this.rows < maxTokensPerStep) this.rows *= 2;
    else if (ms > slowStepMs && this.rows > 1) this.rows >>= 1;
  }
}
const tokenSteps = new StepSize();

/** Applies a chunk of whole packed tokens in slices (applyRowsInSlices); returns how many it held. */
export function applyTokensInSlices(chunk: Uint8Array, into: SnapshotTarget): Promise<number> {
  return applyRowsInSlices(chunk, packedTokenLength, (rows) => into.addPackedTokens(rows));
}

/**
 * Applies a chunk of whole rows a few at a time (more as the loader warms),
 * yielding to the event loop whenever a slice has run `sliceMs`; returns how
 * many rows `add` held.
 */
export async function applyRowsInSlices(chunk: Uint8Array, lengthOf: RowLength, add: (rows: Uint8Array) => number, steps = tokenSteps): Promise<number> {
  await yieldWholeTurn(); // receiving the chunk was a slice already
  let count = 0;
  let sliceStart = performance.now();
  for (let start = 0; start < chunk.length; ) {
    let end = start;
    for (let n = 0; n < steps.rows && end < chunk.length; n++) end = rowEnd(chunk, end, lengthOf);
    const stepStart = performance.now();
    count += add(chunk.subarray(start, end));
    start = end;
    const now = performance.now();
    steps.after(now - stepStart);
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
