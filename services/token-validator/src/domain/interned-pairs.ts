import { InternedTable } from "./interned-table.js";

/**
 * Pairs of numbers (a holder's and a scope set's, making a profile) interned
 * and counted by an InternedTable whose value is the pair's own key: one
 * number encodes both, so a pair is no object. A replica holds tens of
 * thousands of profiles: an object each, under a boxed number, was ~150 bytes
 * a profile and most of what a snapshot's load left for the young-generation
 * GC to copy (a 12-17 ms pause, the load's worst stall).
 */
export class InternedPairs {
  private readonly table: InternedTable<number, number>;
  /** Whether the last acquire() made its pair (rather than counting one already held). */
  made = false;

  /** `onRelease` is told of each pair let go, and its number. */
  constructor(onRelease?: (first: number, second: number, n: number) => void) {
    this.table = new InternedTable<number, number>(onRelease && ((key, n) => onRelease(firstOf(key), secondOf(key), n)));
  }

  /** The number of the pair (`first`, `second`), both below 2^26, made on first use; counts one use. */
  acquire(first: number, second: number): number {
    if (first >= 2 ** 26 || second >= 2 ** 26) throw new RangeError(`a pair of numbers below 2^26, not (${first}, ${second})`);
    const held = this.table.size;
    const n = this.table.acquire(pairKey(first, second), sameKey);
    this.made = this.table.size > held;
    return n;
  }

  /** One more use of a pair already held. */
  retain(n: number): void {
    this.table.retain(n);
  }

  /** One use fewer; the pair goes when none is left. */
  release(n: number): void {
    this.table.release(n);
  }

  first(n: number): number {
    return firstOf(this.table.get(n));
  }

  second(n: number): number {
    return secondOf(this.table.get(n));
  }

  /** Pairs held. */
  get size(): number {
    return this.table.size;
  }
}

const sameKey = (key: number) => key;
/** Below this both numbers make a small-integer key (no boxed number per pair); the rest key from 2^30 up. */
const smallBits = 15;
const small = 2 ** smallBits;
const large = 2 ** 30;

function pairKey(first: number, second: number): number {
  if (first < small && second < small) return first * small + second;
  return large + first * 2 ** 26 + second;
}

function firstOf(key: number): number {
  return key < large ? Math.floor(key / small) : Math.floor((key - large) / 2 ** 26);
}

function secondOf(key: number): number {
  return key < large ? key % small : (key - large) % 2 ** 26;
}
