import { describe, expect, it } from "vitest";
import type { SnapshotSink } from "@tessera/shared/snapshot/database-snapshot";
import { readSnapshotStream } from "@tessera/shared/snapshot/snapshot-stream";
import { create } from "@bufbuild/protobuf";
import { ChangeRecordSchema, PrincipalRecordSchema } from "@tessera/shared/gen/tessera/feed/v1/feed_pb";
import { createSnapshotCache, joinSmallParts } from "./snapshot-cache.js";

/** A cache over a counted, gated read: each read waits until `finish()` is called. */
function gatedCache(intervalMs: number) {
  let nowMs = 1_000_000;
  let reads = 0;
  const pending: (() => void)[] = [];
  const cache = createSnapshotCache({
    readSnapshot: async (sink: SnapshotSink) => {
      reads++;
      await new Promise<void>((resolve) => pending.push(resolve));
      await sink.tokens(new Uint8Array(0));
      return BigInt(reads);
    },
    cutoffMs: (ms) => ms - 1000,
    now: () => nowMs,
    intervalMs,
  });
  return {
    cache,
    reads: () => reads,
    finish: () => pending.splice(0).forEach((resolve) => resolve()),
    advance: (ms: number) => (nowMs += ms),
  };
}

describe("the cached snapshot", () => {
  it("serves every request made during a build from that one build", async () => {
    const { cache, reads, finish } = gatedCache(30_000);
    const requests = Array.from({ length: 50 }, () => cache.get());
    finish();
    const snapshots = await Promise.all(requests);
    expect(reads()).toBe(1);
    expect(new Set(snapshots).size).toBe(1);
  });

  it("is rebuilt only when asked for after the interval", async () => {
    const { cache, reads, finish, advance } = gatedCache(30_000);
    const first = cache.get();
    finish();
    await first;
    advance(29_999);
    expect((await cache.get()).headSeq).toBe(1n);
    advance(1);
    const second = cache.get();
    finish();
    expect((await second).headSeq).toBe(2n);
    expect(reads()).toBe(2);
  });

  it("is a well-formed stream: header, end with its counts (a chunk with no rows makes no frame)", async () => {
    const { cache, finish } = gatedCache(30_000);
    const got = cache.get();
    finish();
    const snapshot = await got;
    async function* pieces() {
      for (const part of snapshot.parts) yield part;
      yield Buffer.from([4, 0, 0, 0, 32, ...new Uint8Array(32)]); // a seal frame (not checked here)
    }
    const parts = [];
    for await (const part of readSnapshotStream(pieces())) parts.push(part.type);
    expect(parts).toEqual(["header", "end", "seal"]);
  });

  it("sends thousands of records in a few pieces, with every byte in order", async () => {
    const cache = createSnapshotCache({
      readSnapshot: async (sink: SnapshotSink) => {
        for (let i = 0; i < 10_000; i++) {
          await sink.record(create(ChangeRecordSchema, { record: { case: "principal", value: create(PrincipalRecordSchema, { id: `p${i}`, organisationId: "o" }) } }));
        }
        return 1n;
      },
      cutoffMs: (ms) => ms - 1000,
      now: () => 1_000_000,
      intervalMs: 30_000,
    });
    const snapshot = await cache.get();
    // 20,002 frames' worth of parts (a head and bytes a record, a header, an end) in pieces of up to 64 KiB.
    expect(snapshot.parts.length).toBeLessThan(20);
    expect(snapshot.parts.reduce((sum, part) => sum + part.length, 0)).toBe(snapshot.bytes);
    async function* pieces() {
      for (const part of snapshot.parts) yield part;
      yield Buffer.from([4, 0, 0, 0, 32, ...new Uint8Array(32)]);
    }
    let records = 0;
    for await (const part of readSnapshotStream(pieces())) if (part.type === "record") records++;
    expect(records).toBe(10_000);
  });

  it("joins runs of small parts and passes large ones as they are", () => {
    const small = (n: number) => Buffer.alloc(1_000, n);
    const large = Buffer.alloc(100_000, 9);
    const parts = [small(1), small(2), large, ...Array.from({ length: 70 }, (_, i) => small(i))];
    const joined = joinSmallParts(parts);
    expect(Buffer.concat(joined)).toEqual(Buffer.concat(parts));
    expect(joined[1]).toBe(large);
    expect(joined.map((part) => part.length)).toEqual([2_000, 100_000, 65_000, 5_000]);
  });
});
