/**
 * Pairs of numbers (a holder's and a scope set's, making a profile) interned
 * and counted as InternedTable's values are, held in typed arrays. A replica
 * holds tens of thousands of profiles: an object each, filed in three arrays
 * under a boxed number, was ~150 bytes a profile and most of what a snapshot's
 * load left for the young-generation GC to copy (a 12-17 ms pause, the load's
 * worst stall).
 */
export class InternedPairs {
  private firsts = new Int32Array(initialCapacity);
  private seconds = new Int32Array(initialCapacity);
  private uses = new Int32Array(initialCapacity);
  private readonly byKey = new Map<number, number>();
  private readonly freeNumbers: number[] = [];
  /** Numbers below this have been given out. */
  private highWater = 0;
  /** Whether the last acquire() made its pair (rather than counting one already held). */
  made = false;

  /** `onRelease` is told of each pair let go, and its number. */
  constructor(private readonly onRelease?: (first: number, second: number, n: number) => void) {}

  /** The number of the pair (`first`, `second`), both below 2^26, made on first use; counts one use. */
  acquire(first: number, second: number): number {
    if (first >= 2 ** 26 || second >= 2 ** 26) throw new RangeError(`a pair of numbers below 2^26, not (${first}, ${second})`);
    const key = pairKey(first, second);
    let n = this.byKey.get(key);
    this.made = n === undefined;
    if (n === undefined) {
      n = this.freeNumbers.pop() ?? this.grow();
      this.firsts[n] = first;
      this.seconds[n] = second;
      this.uses[n] = 0;
      this.byKey.set(key, n);
    }
    this.uses[n]!++;
    return n;
  }

  /** One more use of a pair already held. */
  retain(n: number): void {
    this.uses[n]!++;
  }

  /** One use fewer; the pair goes when none is left. */
  release(n: number): void {
    if (--this.uses[n]! > 0) return;
    const first = this.firsts[n]!;
    const second = this.seconds[n]!;
    this.byKey.delete(pairKey(first, second));
    this.onRelease?.(first, second, n);
    this.freeNumbers.push(n);
  }

  first(n: number): number {
    return this.firsts[n]!;
  }

  second(n: number): number {
    return this.seconds[n]!;
  }

  /** Pairs held. */
  get size(): number {
    return this.byKey.size;
  }

  /** A number never given out, doubling the columns when they are full. */
  private grow(): number {
    if (this.highWater === this.uses.length) {
      const widen = (column: Int32Array) => {
        const wider = new Int32Array(column.length * 2);
        wider.set(column);
        return wider;
      };
      this.firsts = widen(this.firsts);
      this.seconds = widen(this.seconds);
      this.uses = widen(this.uses);
    }
    return this.highWater++;
  }
}

const initialCapacity = 64;
/** Below this both numbers make a small-integer key (no boxed number per pair); the rest keys above 2^30. */
const smallBits = 15;

function pairKey(first: number, second: number): number {
  if (first < 2 ** smallBits && second < 2 ** smallBits) return first * 2 ** smallBits + second;
  return 2 ** 30 + first * 2 ** 26 + second;
}
