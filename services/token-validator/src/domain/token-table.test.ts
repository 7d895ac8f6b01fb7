import { randomBytes } from "node:crypto";
import { describe, expect, it } from "vitest";
import { TokenTable, readWords } from "./token-table.js";

/** A seeded generator, so a failure repeats. */
function random(seed: number): () => number {
  return () => ((seed = (seed * 1_103_515_245 + 12_345) % 2_147_483_648) / 2_147_483_648);
}

describe("TokenTable", () => {
  it("finds exactly what a Map would after 200,000 random adds, rekeys, aliases and frees", () => {
    const table = new TokenTable();
    const next = random(7);
    // The model: digest (hex) → [slot, alias?].
    const model = new Map<string, [number, boolean]>();
    const digestOf = new Map<number, Buffer>();
    const aliasOf = new Map<number, Buffer>();
    const held: number[] = [];
    const hex = (b: Buffer) => b.toString("hex");
    for (let step = 0; step < 200_000; step++) {
      const roll = next();
      if (roll < 0.5 || held.length === 0) {
        const slot = table.allocate();
        const digest = randomBytes(32);
        table.setDigest(slot, digest, 0);
        table.setFlags(slot, 1);
        digestOf.set(slot, digest);
        model.set(hex(digest), [slot, false]);
        held.push(slot);
      } else {
        const at = Math.floor(next() * held.length);
        const slot = held[at]!;
        if (roll < 0.65) {
          // Regenerated: a new digest, the old one as its alias.
          const old = digestOf.get(slot)!;
          const fresh = randomBytes(32);
          const previousAlias = aliasOf.get(slot);
          if (previousAlias) model.delete(hex(previousAlias));
          table.setDigest(slot, fresh, 0);
          table.setAlias(slot, readWords(old, 0, [0, 0, 0, 0]));
          model.set(hex(old), [slot, true]);
          model.set(hex(fresh), [slot, false]);
          digestOf.set(slot, fresh);
          aliasOf.set(slot, old);
        } else if (roll < 0.7 && aliasOf.has(slot)) {
          table.setAlias(slot, undefined);
          model.delete(hex(aliasOf.get(slot)!));
          aliasOf.delete(slot);
        } else {
          table.free(slot);
          model.delete(hex(digestOf.get(slot)!));
          if (aliasOf.has(slot)) model.delete(hex(aliasOf.get(slot)!));
          digestOf.delete(slot);
          aliasOf.delete(slot);
          held[at] = held.at(-1)!;
          held.pop();
        }
      }
    }
    expect(table.indexed).toBe(model.size);
    for (const [key, [slot, alias]] of model) expect(table.find(Buffer.from(key, "hex"))).toBe(slot * 2 + (alias ? 1 : 0));
    // Digests never added are not found (and an empty probe chain ends).
    for (let i = 0; i < 10_000; i++) expect(table.find(randomBytes(32))).toBe(-1);
    // Freed slots are reused before the table grows.
    const limit = table.slotLimit;
    table.allocate();
    expect(table.slotLimit).toBe(limit);
  });

  it("tells apart digests that share a shard, a home and a tag (only the rest differs)", () => {
    const table = new TokenTable();
    const base = randomBytes(32);
    const slots: number[] = [];
    for (let i = 0; i < 40; i++) {
      const digest = Buffer.from(base);
      digest.writeUInt32LE(i, 12); // words 0-2 equal: same shard, home and tag
      const slot = table.allocate();
      table.setDigest(slot, digest, 0);
      table.setFlags(slot, 1);
      slots.push(slot);
    }
    for (let i = 0; i < 40; i += 3) table.free(slots[i]!);
    for (let i = 0; i < 40; i++) {
      const digest = Buffer.from(base);
      digest.writeUInt32LE(i, 12);
      expect(table.find(digest)).toBe(i % 3 === 0 ? -1 : slots[i]! * 2);
    }
  });

  it("holds what it held, and finds what it is given, across a reserve", () => {
    const table = new TokenTable();
    const before = Array.from({ length: 5_000 }, () => randomBytes(32));
    const slots = before.map((digest) => {
      const slot = table.allocate();
      table.setDigest(slot, digest, 0);
      table.setFlags(slot, 1);
      return slot;
    });
    const bytesBefore = table.bytes;
    table.reserve(200_000);
    const reserved = table.bytes;
    expect(table.bytes - bytesBefore).toBeGreaterThanOrEqual(((200_000 * 5) / 4) * 4 - 4 * 256 * 16); // room for 200,000 at 4/5 full
    const after = Array.from({ length: 200_000 }, () => randomBytes(32));
    for (const digest of after) {
      const slot = table.allocate();
      table.setDigest(slot, digest, 0);
      table.setFlags(slot, 1);
      slots.push(slot);
    }
    // No shard grew past the reservation: what the arrays gained is the columns' new chunks alone.
    const chunkBytes = 65_536 * (16 + 16 + 4 + 4 + 4 + 2);
    expect(table.bytes - reserved).toBe((Math.ceil(205_000 / 65_536) - 1) * chunkBytes);
    [...before, ...after].forEach((digest, i) => expect(table.find(digest)).toBe(slots[i]! * 2));
    expect(table.indexed).toBe(205_000);
  });

  it("adds a snapshot row whole: its digest indexed, its id, facts and flags in their columns", () => {
    const table = new TokenTable();
    const row = randomBytes(40);
    const slot = table.add(new DataView(row.buffer, row.byteOffset, row.byteLength), 4, 20, 7, 1_000, 900, 5);
    expect(table.find(row, 4)).toBe(slot * 2);
    expect(table.idEquals(slot, readWords(row, 20, [0, 0, 0, 0]))).toBe(true);
    expect([table.profile(slot), table.expiresAt(slot), table.createdAt(slot), table.flags(slot)]).toEqual([7, 1_000, 900, 5]);
  });

  it("makes a reservation's chunks of columns three at a time, in one allocation each, and others one at a time", () => {
    const chunkBytes = 65_536 * (16 + 16 + 4 + 4 + 4 + 2);
    const reserved = new TokenTable();
    reserved.reserve(10 * 65_536);
    const before = reserved.bytes;
    reserved.allocate();
    expect(reserved.bytes - before).toBe(3 * chunkBytes);
    for (let n = 0; n < 3 * 65_536; n++) reserved.allocate();
    expect(reserved.bytes - before).toBe(6 * chunkBytes);
    const unreserved = new TokenTable();
    const empty = unreserved.bytes;
    unreserved.allocate();
    expect(unreserved.bytes - empty).toBe(chunkBytes);
  });
});
