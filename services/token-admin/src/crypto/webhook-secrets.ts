import { createCipheriv, createDecipheriv, hkdfSync, randomBytes } from "node:crypto";
import type { SecretBox } from "../domain/webhooks/webhook-ports.js";

const version = 1;
const ivBytes = 12;
const tagBytes = 16;

/**
 * Webhook signing secrets are symmetric, so they must be kept to sign with: kept
 * sealed (AES-256-GCM) under a key derived from the pepper, so a copy of the
 * database alone signs nothing.
 */
export function createSecretBox(pepper: string): SecretBox {
  const key = Buffer.from(hkdfSync("sha256", pepper, "tessera webhook secrets", `tessera webhook secret v${version}`, 32));
  return {
    seal(secret) {
      const iv = randomBytes(ivBytes);
      const cipher = createCipheriv("aes-256-gcm", key, iv);
      const body = Buffer.concat([cipher.update(secret, "utf8"), cipher.final()]);
      return Buffer.concat([Buffer.from([version]), iv, cipher.getAuthTag(), body]);
    },
    open(sealed) {
      const bytes = Buffer.from(sealed);
      if (bytes[0] !== version) throw new Error("unknown webhook secret seal version");
      const iv = bytes.subarray(1, 1 + ivBytes);
      const tag = bytes.subarray(1 + ivBytes, 1 + ivBytes + tagBytes);
      const decipher = createDecipheriv("aes-256-gcm", key, iv);
      decipher.setAuthTag(tag);
      return Buffer.concat([decipher.update(bytes.subarray(1 + ivBytes + tagBytes)), decipher.final()]).toString("utf8");
    },
  };
}

/** A new Standard Webhooks secret: "whsec_" and 32 random bytes in base64. */
export function generateWebhookSecret(): string {
  return `whsec_${randomBytes(32).toString("base64")}`;
}
