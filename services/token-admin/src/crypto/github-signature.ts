import { createPublicKey, verify, type KeyObject } from "node:crypto";

/** GitHub secret scanning's signing keys, by key identifier. */
export type GithubKeys = ReadonlyMap<string, KeyObject>;

interface MetaKey {
  key_identifier?: unknown;
  key?: unknown;
}

/**
 * Reads the operator's GitHub signing keys from JSON in either shape: GitHub's
 * own `https://api.github.com/meta/public_keys/secret_scanning` answer
 * (`{"public_keys":[{"key_identifier","key"}]}`, saved as is), or a plain
 * object of PEM keys by identifier (`{"<id>": "-----BEGIN PUBLIC KEY-----…"}`).
 * Only ECDSA P-256 keys are accepted. Throws with a message naming what is wrong.
 */
export function parseGithubKeys(json: string): GithubKeys {
  let parsed: unknown;
  try {
    parsed = JSON.parse(json);
  } catch {
    throw new Error("must be JSON");
  }
  if (typeof parsed !== "object" || parsed === null || Array.isArray(parsed)) throw new Error("must be a JSON object");
  const pairs: [string, unknown][] =
    "public_keys" in parsed && Array.isArray(parsed.public_keys)
      ? (parsed.public_keys as MetaKey[]).map((entry) => [String(entry?.key_identifier ?? ""), entry?.key])
      : Object.entries(parsed);
  const keys = new Map<string, KeyObject>();
  for (const [id, pem] of pairs) {
    if (!/^[A-Za-z0-9._-]{1,200}$/.test(id)) throw new Error(`key identifier "${id.slice(0, 40)}" is not one GitHub uses`);
    if (typeof pem !== "string") throw new Error(`key ${id} must be a PEM string`);
    let key: KeyObject;
    try {
      key = createPublicKey(pem);
    } catch {
      throw new Error(`key ${id} is not a PEM public key`);
    }
    if (key.asymmetricKeyType !== "ec" || key.asymmetricKeyDetails?.namedCurve !== "prime256v1") throw new Error(`key ${id} must be ECDSA P-256`);
    keys.set(id, key);
  }
  return keys;
}

/**
 * Whether `signature` (base64 DER, the Github-Public-Key-Signature header) is
 * ECDSA-SHA256 over the raw `body` under the key `keyId` names. An unknown
 * key or an unreadable signature is simply false.
 */
export function verifyGithubSignature(keys: GithubKeys, keyId: string, signature: string, body: Buffer): boolean {
  const key = keys.get(keyId);
  if (!key || signature.length > 200) return false;
  try {
    return verify("sha256", body, key, Buffer.from(signature, "base64"));
  } catch {
    return false;
  }
}
