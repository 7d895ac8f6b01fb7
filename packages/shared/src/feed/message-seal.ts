import { createHmac, hkdfSync, timingSafeEqual } from "node:crypto";

/** What a sealed message is for: each purpose has its own key, so one kind cannot pass for another. */
export type SealPurpose = "feed" | "roster" | "usage" | "honeytoken";

/** Authenticates messages that cross Redis, which anyone able to PUBLISH could otherwise forge. */
export interface MessageSeal {
  /** The payload behind a version byte and its MAC. */
  seal(payload: Uint8Array): Buffer;
  /** The payload, or undefined when the MAC does not match (forged, altered, or sealed under another pepper). */
  open(sealed: Uint8Array): Uint8Array | undefined;
}

const version = 1;
const macBytes = 32;
const headerBytes = 1 + macBytes;

/**
 * An HMAC-SHA256 seal under a key derived from the pepper (HKDF), which token-admin
 * and every validator already share: no new secret to distribute. The key is
 * never the pepper itself, so a MAC reveals nothing about token digests.
 */
export function createMessageSeal(pepper: string, purpose: SealPurpose): MessageSeal {
  const key = Buffer.from(hkdfSync("sha256", pepper, "tessera message seal", `tessera ${purpose} v${version}`, 32));
  const mac = (payload: Uint8Array) => createHmac("sha256", key).update(payload).digest();
  return {
    seal(payload) {
      const sealed = Buffer.allocUnsafe(headerBytes + payload.length);
      sealed[0] = version;
      mac(payload).copy(sealed, 1);
      sealed.set(payload, headerBytes);
      return sealed;
    },
    open(sealed) {
      if (sealed.length < headerBytes || sealed[0] !== version) return undefined;
      const payload = sealed.subarray(headerBytes);
      const expected = mac(payload);
      return timingSafeEqual(expected, sealed.subarray(1, headerBytes)) ? payload : undefined;
    },
  };
}
