import { describe, expect, it } from "vitest";
import { packedToken, packedTokenLength } from "./packed-token-layout.js";
import { profileEntryLength, profiledToken, profiledTokenLength, ProfiledTokenWriter, rowsInIndexOrder } from "./profiled-token-layout.js";

/** A packed row: digest byte `d`, owner byte `o`, scopes text; a previous digest and a parent when asked. */
function packedRow(d: number, o: number, scopes: string, extras: { previous?: boolean; parent?: boolean } = {}): Buffer {
  const fixed = Buffer.alloc(packedToken.variable);
  fixed.fill(d, packedToken.digest, packedToken.digest + 32);
  fixed.fill(d ^ 0xff, packedToken.id, packedToken.id + 16);
  fixed.fill(o, packedToken.ownerId, packedToken.ownerId + 16);
  fixed.fill(7, packedToken.organisationId, packedToken.organisationId + 16);
  fixed.writeInt32BE(1000 + d, packedToken.expiresAt);
  fixed.writeInt32BE(500 + d, packedToken.createdAt);
  fixed.writeInt32BE(extras.previous ? 900 : 0, packedToken.previousExpiresAt);
  fixed.writeUInt16BE(0x101, packedToken.flags);
  const digest = (fill: number) => Buffer.concat([Buffer.from([32]), Buffer.alloc(32, fill)]);
  const scopeBytes = Buffer.from(scopes, "latin1");
  const length = Buffer.alloc(2);
  length.writeUInt16BE(scopeBytes.length);
  return Buffer.concat([fixed, extras.previous ? digest(0xaa) : Buffer.from([0]), extras.parent ? digest(0xbb) : Buffer.from([0]), length, scopeBytes]);
}

describe("profiled rows", () => {
  it("carry each packed row's facts, with profiles listed once, numbered in the order rows first name them", () => {
    const writer = new ProfiledTokenWriter();
    const first = writer.rewrite(Buffer.concat([packedRow(1, 1, "a b"), packedRow(2, 2, "a b"), packedRow(3, 1, "a b", { previous: true })]));
    const second = writer.rewrite(Buffer.concat([packedRow(4, 1, "a"), packedRow(5, 2, "a b", { parent: true })]));
    expect(writer.profiles).toBe(3);

    // Profiles: (owner 1, "a b"), (owner 2, "a b") in the first chunk; (owner 1, "a") in the second.
    const entries = (bytes: Buffer | undefined) => {
      const found: string[] = [];
      for (let at = 0; bytes && at < bytes.length; at += profileEntryLength(bytes, at)!) found.push(`${bytes[at]} ${bytes.toString("latin1", at + 50, at + profileEntryLength(bytes, at)!)}`);
      return found;
    };
    expect(entries(first.profiles)).toEqual(["1 a b", "2 a b"]);
    expect(entries(second.profiles)).toEqual(["1 a"]);

    const rows = (bytes: Buffer) => {
      const found: Record<string, unknown>[] = [];
      for (let at = 0; at < bytes.length; at += profiledTokenLength(bytes, at)!) {
        const previous = bytes[at + profiledToken.variable]!;
        const parentAt = at + profiledToken.variable + 1 + previous;
        found.push({
          digest: bytes.subarray(at, at + 16).equals(Buffer.alloc(16, bytes[at]!)) ? bytes[at] : "torn",
          id: bytes[at + profiledToken.id],
          profile: bytes.readUInt32BE(at + profiledToken.profile),
          times: [bytes.readInt32BE(at + profiledToken.expiresAt), bytes.readInt32BE(at + profiledToken.createdAt), bytes.readInt32BE(at + profiledToken.previousExpiresAt)],
          flags: bytes.readUInt16BE(at + profiledToken.flags),
          previous: previous === 0 ? undefined : bytes.subarray(at + profiledToken.variable + 1, parentAt).toString("hex"),
          parent: bytes[parentAt] === 0 ? undefined : bytes.subarray(parentAt + 1, parentAt + 1 + bytes[parentAt]!).toString("hex"),
        });
      }
      return found;
    };
    expect(rows(first.rows)).toEqual([
      { digest: 1, id: 0xfe, profile: 0, times: [1001, 501, 0], flags: 0x101, previous: undefined, parent: undefined },
      { digest: 2, id: 0xfd, profile: 1, times: [1002, 502, 0], flags: 0x101, previous: undefined, parent: undefined },
      { digest: 3, id: 0xfc, profile: 0, times: [1003, 503, 900], flags: 0x101, previous: "aa".repeat(16), parent: undefined },
    ]);
    expect(rows(second.rows)).toEqual([
      { digest: 4, id: 0xfb, profile: 2, times: [1004, 504, 0], flags: 0x101, previous: undefined, parent: undefined },
      { digest: 5, id: 0xfa, profile: 1, times: [1005, 505, 0], flags: 0x101, previous: undefined, parent: "bb".repeat(16) },
    ]);
  });

  it("refuses a chunk that ends inside a packed row", () => {
    const row = packedRow(1, 1, "scope");
    expect(packedTokenLength(row, 0)).toBe(row.length);
    expect(() => new ProfiledTokenWriter().rewrite(row.subarray(0, row.length - 1))).toThrow(/ends inside/);
  });

  it("reorder, for the validator's index, by the digest's first byte, with every child last in its order, in frames of whole rows", () => {
    // 30,000 rows (some 1.6 MB, so several frames): digest byte from a scramble, one in seven with a previous digest, one in 50 a child.
    const writer = new ProfiledTokenWriter();
    const chunks: Buffer[] = [];
    const made: { first: number; id: number; child: boolean }[] = [];
    for (let chunk = 0; chunk < 30; chunk++) {
      const packed: Buffer[] = [];
      for (let i = 0; i < 1000; i++) {
        const n = chunk * 1000 + i;
        const first = (n * 151) & 0xff;
        const child = n % 50 === 49;
        packed.push(packedRow(first, n % 9, "a", { previous: n % 7 === 0, parent: child }));
        made.push({ first, id: first ^ 0xff, child });
      }
      chunks.push(writer.rewrite(Buffer.concat(packed)).rows);
    }
    const frames = rowsInIndexOrder(chunks);
    expect(frames.length).toBeGreaterThan(4);
    const seen: { first: number; id: number; child: boolean }[] = [];
    for (const frame of frames) {
      expect(frame.length).toBeLessThan(300 * 1024);
      for (let at = 0; at < frame.length; ) {
        const length = profiledTokenLength(frame, at);
        expect(length !== undefined && at + length <= frame.length, "a frame ends at a row's end").toBe(true);
        const previous = frame[at + profiledToken.variable]!;
        seen.push({ first: frame[at]!, id: frame[at + profiledToken.id]!, child: frame[at + profiledToken.variable + 1 + previous] !== 0 });
        at += length!;
      }
    }
    const parents = made.filter((row) => !row.child);
    const children = made.filter((row) => row.child);
    // Stable: within a first byte, rows keep their order; the children come after all the rest, as they were.
    expect(seen).toEqual([...[...parents].sort((a, b) => a.first - b.first), ...children]);
  });
});
