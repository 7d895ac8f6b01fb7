import { randomBytes } from "node:crypto";
import { describe, expect, it } from "vitest";
import { DigestMap } from "./digest-map.js";

describe("DigestMap", () => {
  it("behaves as one map over its shards: get, set, delete, size and iteration", () => {
    const map = new DigestMap<number>();
    const keys = Array.from({ length: 1000 }, () => randomBytes(32).toString("latin1"));
    keys.forEach((key, i) => map.set(key, i));
    map.set("", -1); // no digest at all still has a shard
    expect(map.size).toBe(1001);
    keys.forEach((key, i) => expect(map.get(key)).toBe(i));
    expect(map.get("")).toBe(-1);
    expect(map.delete(keys[0]!)).toBe(true);
    expect(map.delete(keys[0]!)).toBe(false);
    expect(map.get(keys[0]!)).toBeUndefined();
    const seen = new Map([...map]);
    expect(seen.size).toBe(1000);
    expect(seen.get(keys[999]!)).toBe(999);
  });
});
