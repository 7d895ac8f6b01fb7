import { describe, expect, it } from "vitest";
import { InternedPairs } from "./interned-pairs.js";

describe("interned pairs", () => {
  it("numbers each pair once, counts its uses, and lets it go (number reused) with the last", () => {
    const released: [number, number, number][] = [];
    const pairs = new InternedPairs((first, second, n) => released.push([first, second, n]));
    const a = pairs.acquire(3, 4);
    expect(pairs.made).toBe(true);
    expect(pairs.acquire(3, 4)).toBe(a);
    expect(pairs.made).toBe(false);
    pairs.retain(a);
    expect([pairs.first(a), pairs.second(a), pairs.size]).toEqual([3, 4, 1]);
    for (let use = 0; use < 2; use++) pairs.release(a);
    expect(released).toEqual([]);
    pairs.release(a);
    expect(released).toEqual([[3, 4, a]]);
    expect(pairs.size).toBe(0);
    expect(pairs.acquire(5, 6)).toBe(a); // the number freed is given out again
  });

  it("tells apart pairs on either side of the small-number keys, and holds thousands past its first columns", () => {
    const pairs = new InternedPairs();
    const values = [0, 1, 2, 2 ** 15 - 1, 2 ** 15, 2 ** 15 + 1, 2 ** 20, 2 ** 26 - 1];
    const numbers = new Map<string, number>();
    for (const first of values) for (const second of values) numbers.set(`${first},${second}`, pairs.acquire(first, second));
    for (let i = 0; i < 5_000; i++) numbers.set(`${i},${i % 7}`, pairs.acquire(i, i % 7));
    expect(new Set(numbers.values()).size).toBe(numbers.size);
    expect(pairs.size).toBe(numbers.size);
    for (const [key, n] of numbers) expect(`${pairs.first(n)},${pairs.second(n)}`).toBe(key);
    // Past 2^26 two pairs would share a key: refused rather than mixed up.
    expect(() => pairs.acquire(1, 2 ** 26)).toThrow(RangeError);
  });
});
