import { createHash } from "node:crypto";
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { describe, expect, it } from "vitest";
import { packedToken } from "@tessera/shared/snapshot/packed-token-layout";
import { createSnapshotAuth, snapshotAuthHeader } from "@tessera/shared/snapshot/snapshot-auth";
import { encodeEndFrame, encodeFrameHead, encodeSealFrame, encodeSnapshotHeader, frameKind, sealFrameBytes, SnapshotStreamError } from "@tessera/shared/snapshot/snapshot-stream";
import { Replica } from "../domain/replica.js";
import { minimumProfiledTokenBytes, ProfiledTokenWriter } from "@tessera/shared/snapshot/profiled-token-layout";
import { create } from "@bufbuild/protobuf";
import { ChangeRecordSchema, TokenState } from "@tessera/shared/gen/tessera/feed/v1/feed_pb";
import { readCachedSnapshot, tokensHint } from "./cached-snapshot-client.js";

describe("the snapshot's token count hint", () => {
  const hint = (tokens: string | undefined, length: string | undefined) =>
    tokensHint({ "x-tessera-snapshot-tokens": tokens, "content-length": length });

  it("is token-admin's count when the body can hold that many", () => {
    expect(hint("1000", String(1000 * 60))).toBe(1000);
  });

  it("never exceeds what the body's length can hold (the header is outside the seal)", () => {
    expect(hint("50000000", String(10 * minimumProfiledTokenBytes))).toBe(10);
  });

  it("is 0 when either header is missing or malformed", () => {
    expect(hint(undefined, "1000")).toBe(0);
    expect(hint("1000", undefined)).toBe(0);
    expect(hint("-5", "100000")).toBe(0);
    expect(hint("1e400", "100000")).toBe(0);
    expect(hint("12abc", "100000")).toBe(0);
  });
});

/** A packed row: digest bytes 5, id bytes 6, owner and organisation bytes 7, no group, scopes "x". */
function packedRow(): Buffer {
  const row = Buffer.alloc(packedToken.variable + 4 + 1);
  row.fill(5, 0, 32);
  row.fill(6, packedToken.id, packedToken.id + 16);
  row.fill(7, packedToken.ownerId, packedToken.groupId);
  row.writeUInt16BE(1, packedToken.flags); // active
  row.writeUInt16BE(1, packedToken.variable + 2);
  row.write("x", packedToken.variable + 4, "latin1");
  return row;
}
const rowId = "06060606-0606-0606-0606-060606060606";

/** Serves `frames` after a header of `version`, with the end frame and the seal token-admin would add; runs `use` against it. */
async function servingStream(version: number, frames: Buffer[], tokens: number, use: (url: string, auth: ReturnType<typeof createSnapshotAuth>) => Promise<void>): Promise<void> {
  const auth = createSnapshotAuth("a pepper for this test only, long enough");
  const header = encodeSnapshotHeader({ headSeq: 42n, builtAtMs: Date.now(), cutoffMs: 0 });
  header[4] = version; // the version byte, after "TSNP"
  const body = Buffer.concat([header, ...frames, encodeEndFrame(0, tokens)]);
  const server = createServer((req, res) => {
    const nonce = auth.checkRequest(req.headers[snapshotAuthHeader] as string | undefined, Date.now());
    if (!nonce) return void res.writeHead(401).end();
    res.writeHead(200, { "content-length": String(body.length + sealFrameBytes) });
    res.end(Buffer.concat([body, encodeSealFrame(auth.sealBody(nonce, createHash("sha256").update(body).digest()))]));
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  try {
    await use(`http://127.0.0.1:${(server.address() as AddressInfo).port}`, auth);
  } finally {
    server.close();
  }
}

const frame = (kind: number, payload: Buffer) => Buffer.concat([encodeFrameHead(kind, payload.length), payload]);

describe("a version 1 snapshot stream (packed rows, as token-admin sent before profiles)", () => {
  it("is still read: a validator upgraded before token-admin loads its cache, not Postgres", async () => {
    await servingStream(1, [frame(frameKind.tokens, packedRow())], 1, async (url, auth) => {
      const replica = new Replica();
      expect(await readCachedSnapshot({ url, auth, idleTimeoutMs: 5000, deadTokenRetentionMs: 1000, now: Date.now }, replica)).toBe(42n);
      expect(replica.tokenCount).toBe(1);
      expect([...replica.tokens()][0]!.scopes).toEqual(["x"]);
    });
  });
});

describe("a version 2 snapshot stream (profiles listed once, profiled rows)", () => {
  it("leaves each profile counted by its tokens alone: the list's own counts are given back", async () => {
    const { rows, profiles } = new ProfiledTokenWriter().rewrite(packedRow());
    await servingStream(2, [frame(frameKind.profiles, profiles!), frame(frameKind.profiledTokens, rows)], 1, async (url, auth) => {
      const replica = new Replica();
      await readCachedSnapshot({ url, auth, idleTimeoutMs: 5000, deadTokenRetentionMs: 1000, now: Date.now }, replica);
      expect(replica.findToken(rowId)?.scopes).toEqual(["x"]);
      // Its one token deleted, nothing it used is held any more.
      replica.applyRecord(create(ChangeRecordSchema, { record: { case: "token", value: { id: rowId, digest: Buffer.alloc(32, 5), state: TokenState.DELETED } } }));
      expect(replica.tokenCount).toBe(0);
      expect(replica.cacheSizes).toEqual({ holders: 0, scopeSets: 0, profiles: 0 });
    });
  });
});

describe("a snapshot stream with a record that is not a ChangeRecord", () => {
  it("fails as a malformed snapshot (SnapshotStreamError), as a bad token frame does", async () => {
    // A length-delimited field 2 (principal) claiming 10 bytes where 1 follows: protobuf's "premature EOF".
    await servingStream(2, [frame(frameKind.record, Buffer.from([0x12, 0x0a, 0x00]))], 0, async (url, auth) => {
      const read = readCachedSnapshot({ url, auth, idleTimeoutMs: 5000, deadTokenRetentionMs: 1000, now: Date.now }, new Replica());
      await expect(read).rejects.toBeInstanceOf(SnapshotStreamError);
      await expect(read).rejects.toThrow(/snapshot record/);
    });
  });
});
