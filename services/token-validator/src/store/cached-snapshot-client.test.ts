import { createHash } from "node:crypto";
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { describe, expect, it } from "vitest";
import { packedToken } from "@tessera/shared/snapshot/packed-token-layout";
import { createSnapshotAuth, snapshotAuthHeader } from "@tessera/shared/snapshot/snapshot-auth";
import { encodeEndFrame, encodeFrameHead, encodeSealFrame, encodeSnapshotHeader, frameKind, sealFrameBytes } from "@tessera/shared/snapshot/snapshot-stream";
import { Replica } from "../domain/replica.js";
import { minimumProfiledTokenBytes } from "@tessera/shared/snapshot/profiled-token-layout";
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

describe("a version 1 snapshot stream (packed rows, as token-admin sent before profiles)", () => {
  it("is still read: a validator upgraded before token-admin loads its cache, not Postgres", async () => {
    const auth = createSnapshotAuth("a pepper for this test only, long enough");
    const row = Buffer.alloc(packedToken.variable + 4 + 1);
    row.fill(5, 0, 32); // digest
    row.fill(6, packedToken.id, packedToken.id + 16);
    row.fill(7, packedToken.ownerId, packedToken.groupId); // owner and organisation; no group
    row.writeUInt16BE(1, packedToken.flags);
    row.writeUInt16BE(1, packedToken.variable + 2);
    row.write("x", packedToken.variable + 4, "latin1");
    const header = encodeSnapshotHeader({ headSeq: 42n, builtAtMs: Date.now(), cutoffMs: 0 });
    header[4] = 1; // the version byte, after "TSNP"
    const body = Buffer.concat([header, encodeFrameHead(frameKind.tokens, row.length), row, encodeEndFrame(0, 1)]);
    const server = createServer((req, res) => {
      const nonce = auth.checkRequest(req.headers[snapshotAuthHeader] as string | undefined, Date.now());
      if (!nonce) return void res.writeHead(401).end();
      res.writeHead(200, { "content-length": String(body.length + sealFrameBytes) });
      res.end(Buffer.concat([body, encodeSealFrame(auth.sealBody(nonce, createHash("sha256").update(body).digest()))]));
    });
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    try {
      const replica = new Replica();
      const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
      expect(await readCachedSnapshot({ url, auth, idleTimeoutMs: 5000, deadTokenRetentionMs: 1000, now: Date.now }, replica)).toBe(42n);
      expect(replica.tokenCount).toBe(1);
      expect([...replica.tokens()][0]!.scopes).toEqual(["x"]);
    } finally {
      server.close();
    }
  });
});
