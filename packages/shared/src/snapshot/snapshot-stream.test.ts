import { describe, expect, it } from "vitest";
import { encodeEndFrame, encodeFrameHead, encodeSealFrame, encodeSnapshotHeader, frameKind, readSnapshotStream, type SnapshotPart } from "./snapshot-stream.js";

/** A seeded generator, so a failure repeats. */
function random(seed: number): () => number {
  return () => ((seed = (seed * 1_103_515_245 + 12_345) % 2_147_483_648) / 2_147_483_648);
}

const frame = (kind: number, payload: Buffer) => Buffer.concat([encodeFrameHead(kind, payload.length), payload]);

async function partsOf(pieces: Buffer[]): Promise<SnapshotPart[]> {
  async function* source() {
    for (const piece of pieces) yield piece;
  }
  const parts: SnapshotPart[] = [];
  // Kept past the next part: a frame's bytes are only good until then (the reader reuses its buffer).
  for await (const part of readSnapshotStream(source())) parts.push("bytes" in part ? { ...part, bytes: Buffer.from(part.bytes) } : part);
  return parts;
}

describe("reading a snapshot stream", () => {
  it("gives the same parts however the body is cut into pieces", async () => {
    const next = random(11);
    const payload = (n: number) => Buffer.from(Array.from({ length: n }, () => Math.floor(next() * 256)));
    const body = Buffer.concat([
      encodeSnapshotHeader({ headSeq: 7n, builtAtMs: 1, cutoffMs: 0 }),
      frame(frameKind.record, payload(40)),
      frame(frameKind.profiles, payload(300)),
      frame(frameKind.profiledTokens, payload(70_000)),
      frame(frameKind.tokens, payload(5)),
      encodeEndFrame(1, 2),
      encodeSealFrame(Buffer.alloc(32, 9)),
    ]);
    const whole = await partsOf([body]);
    expect(whole.map((part) => part.type)).toEqual(["header", "record", "profiles", "profiledTokens", "tokens", "end", "seal"]);
    for (let trial = 0; trial < 50; trial++) {
      const pieces: Buffer[] = [];
      for (let at = 0; at < body.length; ) {
        const size = 1 + Math.floor(next() * (trial % 2 === 0 ? 64 : 40_000));
        pieces.push(body.subarray(at, at + size));
        at += size;
      }
      expect(await partsOf(pieces)).toEqual(whole);
    }
  });

  it("reads frames cut across pieces into one buffer it reuses, which a part's reader must be done with before asking for the next", async () => {
    const body = Buffer.concat([
      encodeSnapshotHeader({ headSeq: 1n, builtAtMs: 1, cutoffMs: 0 }),
      frame(frameKind.profiledTokens, Buffer.alloc(30_000, 1)),
      frame(frameKind.profiledTokens, Buffer.alloc(20_000, 2)),
      encodeEndFrame(0, 0),
      encodeSealFrame(Buffer.alloc(32)),
    ]);
    async function* source() {
      for (let at = 0; at < body.length; at += 7000) yield body.subarray(at, at + 7000);
    }
    const frames: Buffer[] = [];
    for await (const part of readSnapshotStream(source())) if (part.type === "profiledTokens") frames.push(part.bytes);
    // The second frame was read into the first one's buffer (larger than Node's pooled allocations, so not shared by
    // chance), overwriting it: no new memory per frame for a snapshot's hundreds of them.
    expect(frames[1]!.buffer).toBe(frames[0]!.buffer);
    expect(frames[1]!.byteOffset).toBe(frames[0]!.byteOffset);
    expect(frames[1]).toEqual(Buffer.alloc(20_000, 2));
    expect(frames[0]![0]).toBe(2);
  });
});
