import { describe, expect, it } from "vitest";
import { SharedValues } from "./shared-values.js";

describe("shared values", () => {
  it("makes a value once per key and gives every later asker the same one", () => {
    const shared = new SharedValues<Set<string>>();
    let made = 0;
    const make = () => (made++, new Set(["orders:read"]));
    const first = shared.get("orders:read", make);
    expect(shared.get("orders:read", make)).toBe(first);
    expect(shared.get("orders:write", make)).not.toBe(first);
    expect(made).toBe(2);
  });

  it("holds at most its limit of keys, starting again past it, so values no one holds cannot pile up", () => {
    const shared = new SharedValues<object>(3);
    const first = shared.get("a", () => ({}));
    for (const key of ["b", "c", "d"]) shared.get(key, () => ({}));
    // "d" was the fourth key: the table started again, and "a" is made anew (equal, no longer the same object).
    expect(shared.get("a", () => ({}))).not.toBe(first);
  });
});
