import { randomBytes } from "node:crypto";
import { crc32 } from "node:zlib";

// Format: <prefix>_<body><checksum>, e.g. tsr_pat_<30 base62><6 base62>.
// The body carries log2(62) × 30 ≈ 178 bits of entropy; the checksum is CRC32 of
// everything before it, so typos and garbage are rejected with no lookup (a CRC
// catches every single-character change) and secret scanners can verify a hit.

const alphabet = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";
const bodyLength = 30;
const checksumLength = 6; // 62^6 ≈ 5.7e10 > 2^32
const prefixLength = 8; // "tsr_xxx_"

/** Every token is exactly this long; anything else is malformed. */
export const tokenLength = prefixLength + bodyLength + checksumLength;

/** What a token is for, as its prefix says. */
export type TokenKindName = "personal" | "exchanged" | "session";

export const prefixForKind: Readonly<Record<TokenKindName, string>> = {
  personal: "tsr_pat_",
  exchanged: "tsr_bat_",
  session: "tsr_ses_",
};

const kindForPrefix = new Map<string, TokenKindName>(
  Object.entries(prefixForKind).map(([kind, prefix]) => [prefix, kind as TokenKindName]),
);

// Byte → is it a base62 character? A table beats a regex on the hot path.
const isBase62 = new Uint8Array(128);
for (const ch of alphabet) isBase62[ch.charCodeAt(0)] = 1;

function encodeChecksum(value: number): string {
  let out = "";
  for (let i = 0; i < checksumLength; i++) {
    out = alphabet[value % 62] + out;
    value = Math.floor(value / 62);
  }
  return out;
}

/** A fresh token value of the given kind. The caller shows it once and keeps only its digest. */
export function generateToken(kind: TokenKindName = "personal"): string {
  const prefix = prefixForKind[kind];
  let body = "";
  // Rejection sampling keeps every character uniform: 248 = 4 × 62.
  while (body.length < bodyLength) {
    for (const byte of randomBytes(bodyLength * 2)) {
      if (byte < 248) body += alphabet[byte % 62];
      if (body.length === bodyLength) break;
    }
  }
  const rest = prefix + body;
  return rest + encodeChecksum(crc32(rest));
}

/**
 * The token's kind if `value` is well formed (known prefix, exact length, base62
 * body, matching checksum); `undefined` otherwise. Does no lookup and no hashing.
 */
export function parseToken(value: string): TokenKindName | undefined {
  if (value.length !== tokenLength) return undefined;
  const kind = kindForPrefix.get(value.slice(0, prefixLength));
  if (kind === undefined) return undefined;
  for (let i = prefixLength; i < tokenLength; i++) {
    const code = value.charCodeAt(i);
    if (code >= 128 || isBase62[code] === 0) return undefined;
  }
  const rest = value.slice(0, tokenLength - checksumLength);
  return encodeChecksum(crc32(rest)) === value.slice(tokenLength - checksumLength) ? kind : undefined;
}

/** Identifies a token in listings without revealing it: prefix + last four characters. */
export function displayHint(value: string): string {
  return `${value.slice(0, prefixLength)}…${value.slice(-4)}`;
}
