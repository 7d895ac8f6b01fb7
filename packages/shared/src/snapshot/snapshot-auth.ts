import { createHmac, hkdfSync, randomBytes, timingSafeEqual } from "node:crypto";

// A cached snapshot holds every live token's digest: only holders of the pepper
// (token-admin and the validators) may read one, and a validator must load only
// what token-admin sealed. Both keys come from the pepper by HKDF, each with a
// purpose of its own, so neither is the pepper nor usable as another (the feed's seals).

/** The request header that carries a validator's proof of the pepper. */
export const snapshotAuthHeader = "x-tessera-snapshot-auth";
/** A request signed further than this from the server's clock is refused (replays of an overheard header age out). */
export const snapshotAuthWindowMs = 60_000;
const nonceBytes = 16;
const macBytes = 32;

export interface SnapshotAuth {
  /** A fresh request header value and the nonce the answer's seal must cover. */
  signRequest(nowMs: number): { header: string; nonce: Buffer };
  /** The nonce of a request header that proves the pepper and is recent, else undefined. */
  checkRequest(header: string | undefined, nowMs: number): Buffer | undefined;
  /** The seal of a snapshot body (by its SHA-256) answered to the request with `nonce`. */
  sealBody(nonce: Uint8Array, bodySha256: Uint8Array): Buffer;
  /** Whether `seal` is the seal of that body for that request (constant time). */
  checkSeal(nonce: Uint8Array, bodySha256: Uint8Array, seal: Uint8Array): boolean;
}

const key = (pepper: string, purpose: string) => Buffer.from(hkdfSync("sha256", pepper, "tessera snapshot", `tessera snapshot ${purpose} v1`, 32));

/** Snapshot request and answer authentication under keys derived from the pepper. */
export function createSnapshotAuth(pepper: string): SnapshotAuth {
  const requestKey = key(pepper, "request");
  const answerKey = key(pepper, "answer");
  const requestMac = (nonce: Uint8Array, atMs: number) => createHmac("sha256", requestKey).update(nonce).update(String(atMs)).digest();
  const equal = (a: Uint8Array, b: Uint8Array) => a.length === b.length && timingSafeEqual(a, b);
  return {
    signRequest(nowMs) {
      const nonce = randomBytes(nonceBytes);
      const atMs = Math.floor(nowMs);
      return { header: `${nonce.toString("hex")}.${atMs}.${requestMac(nonce, atMs).toString("hex")}`, nonce };
    },
    checkRequest(header, nowMs) {
      const match = /^([0-9a-f]{32})\.(\d{1,16})\.([0-9a-f]{64})$/.exec(header ?? "");
      if (!match) return undefined;
      const nonce = Buffer.from(match[1]!, "hex");
      const atMs = Number(match[2]);
      if (Math.abs(nowMs - atMs) > snapshotAuthWindowMs) return undefined;
      return equal(requestMac(nonce, atMs), Buffer.from(match[3]!, "hex")) ? nonce : undefined;
    },
    sealBody(nonce, bodySha256) {
      return createHmac("sha256", answerKey).update(nonce).update(bodySha256).digest();
    },
    checkSeal(nonce, bodySha256, seal) {
      return seal.length === macBytes && equal(createHmac("sha256", answerKey).update(nonce).update(bodySha256).digest(), seal);
    },
  };
}
