/**
 * Values many tokens share (an owner with its organisation and group, a set of
 * scopes), held once each and named by a small integer a token column can
 * store. Counted: a value no token uses any more is let go, and its number reused.
 */
export class InternedTable<K, V> {
  private readonly values: (V | undefined)[] = [];
  private readonly keys: (K | undefined)[] = [];
  private readonly uses: number[] = [];
  private readonly byKey = new Map<K, number>();
  private readonly freeNumbers: number[] = [];

  /** `onRelease` is told of each value let go, and its number (to drop other keys it was filed under). */
  constructor(private readonly onRelease?: (value: V, n: number) => void) {}

  /** The number of the value under `key`, made by `make(key)` on first use; counts one use. */
  acquire(key: K, make: (key: K) => V): number {
    let n = this.byKey.get(key);
    if (n === undefined) {
      n = this.freeNumbers.pop() ?? this.values.length;
      this.values[n] = make(key);
      this.keys[n] = key;
      this.uses[n] = 0;
      this.byKey.set(key, n);
    }
    this.uses[n]!++;
    return n;
  }

  /** One more use of a value already held (a token that shares it). */
  retain(n: number): void {
    this.uses[n]!++;
  }

  /** One use fewer; the value goes when none is left. */
  release(n: number): void {
    if (--this.uses[n]! > 0) return;
    this.byKey.delete(this.keys[n]!);
    this.onRelease?.(this.values[n]!, n);
    this.values[n] = undefined;
    this.keys[n] = undefined;
    this.freeNumbers.push(n);
  }

  /** The value numbered `n` (held: some token uses it). */
  get(n: number): V {
    return this.values[n]!;
  }


  /** Values held. */
  get size(): number {
    return this.byKey.size;
  }
}
