import { randomBytes } from "node:crypto";
import { describe, expect, it } from "vitest";
import { RowProfileIndex } from "./row-profile-index.js";

/** A row: 48 bytes of ids, then scopes (as a snapshot row has them, apart). */
function row(ids: Buffer, scopes: string): { bytes: Buffer; scopesAt: number; scopesLength: number } {
  const scopeBytes = Buffer.from(scopes, "latin1");
  return { bytes: Buffer.concat([ids, Buffer.from([0, 0, 0]), scopeBytes]), scopesAt: 51, scopesLength: scopeBytes.length };
}

describe("RowProfileIndex", () => {
  it("finds exactly what a Map of the rows' bytes would, through adds and deletes", () => {
    const index = new RowProfileIndex();
    const model = new Map<string, number>();
    const keys: string[] = [];
    // Ids that share long prefixes (as v7 or hand-made uuids do) and scopes that share ends and lengths.
    const ids = (n: number) => Buffer.from(`00000000000040008000${n.toString(16).padStart(12, "0")}`.repeat(3), "hex");
    const scopeChoices = ["", "a", "ab", "orders:read", "orders:rxad", "orders:read orders:write", "orders:write orders:read"];
    let profile = 0;
    for (let n = 0; n < 3_000; n++) {
      for (const scopes of scopeChoices) {
        const r = row(ids(n), scopes);
        index.add(profile, r.bytes, 0, r.scopesAt, r.scopesLength);
        const key = `${n} ${scopes}`;
        model.set(key, profile++);
        keys.push(key);
      }
    }
    // Delete every third (backward shift keeps the others reachable).
    for (const [i, key] of keys.entries()) {
      if (i % 3 !== 0) continue;
      index.delete(model.get(key)!);
      model.set(key, -1);
    }
    expect(index.size).toBe([...model.values()].filter((p) => p >= 0).length);
    for (let n = 0; n < 3_000; n++) {
      for (const scopes of scopeChoices) {
        const r = row(ids(n), scopes);
        expect(index.find(r.bytes, 0, r.scopesAt, r.scopesLength)).toBe(model.get(`${n} ${scopes}`));
      }
    }
    // A group id differing in its last byte alone is another holder.
    const other = ids(5);
    other[47] = other[47]! ^ 1;
    const r = row(other, "orders:read");
    expect(index.find(r.bytes, 0, r.scopesAt, r.scopesLength)).toBe(-1);
  });

  it("files a profile once: a second add of another row leaves it under its first", () => {
    const index = new RowProfileIndex();
    const first = row(randomBytes(48), "x");
    const second = row(randomBytes(48), "y");
    index.add(0, first.bytes, 0, first.scopesAt, first.scopesLength);
    index.add(0, second.bytes, 0, second.scopesAt, second.scopesLength);
    expect(index.find(first.bytes, 0, first.scopesAt, first.scopesLength)).toBe(0);
    expect(index.find(second.bytes, 0, second.scopesAt, second.scopesLength)).toBe(-1);
    expect(index.size).toBe(1);
  });
});
