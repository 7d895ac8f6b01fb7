import { describe, expect, it } from "vitest";
import { createSnapshotAuth, snapshotAuthWindowMs } from "./snapshot-auth.js";

const pepper = "a-pepper-for-this-test-only-0123456789abcdef";

describe("snapshot request and answer authentication", () => {
  const auth = createSnapshotAuth(pepper);
  const nowMs = 1_800_000_000_000;

  it("accepts a recent request signed with the pepper, and gives back its nonce", () => {
    const { header, nonce } = auth.signRequest(nowMs);
    expect(auth.checkRequest(header, nowMs + 1000)).toEqual(nonce);
  });

  it("refuses a request signed with another pepper, altered, malformed, or outside the window", () => {
    const { header } = createSnapshotAuth(`${pepper}-other`).signRequest(nowMs);
    expect(auth.checkRequest(header, nowMs)).toBeUndefined();
    const own = auth.signRequest(nowMs).header;
    expect(auth.checkRequest(own.replace(/\.(\d+)\./, (_, at: string) => `.${Number(at) + 1}.`), nowMs)).toBeUndefined();
    expect(auth.checkRequest(undefined, nowMs)).toBeUndefined();
    expect(auth.checkRequest("x", nowMs)).toBeUndefined();
    expect(auth.checkRequest(own, nowMs + snapshotAuthWindowMs + 1)).toBeUndefined();
    expect(auth.checkRequest(own, nowMs - snapshotAuthWindowMs - 1)).toBeUndefined();
  });

  it("a seal holds for its own nonce and body only", () => {
    const body = Buffer.alloc(32, 7);
    const { nonce } = auth.signRequest(nowMs);
    const seal = auth.sealBody(nonce, body);
    expect(auth.checkSeal(nonce, body, seal)).toBe(true);
    expect(auth.checkSeal(auth.signRequest(nowMs).nonce, body, seal)).toBe(false);
    expect(auth.checkSeal(nonce, Buffer.alloc(32, 8), seal)).toBe(false);
    expect(createSnapshotAuth(`${pepper}-other`).checkSeal(nonce, body, seal)).toBe(false);
  });
});
