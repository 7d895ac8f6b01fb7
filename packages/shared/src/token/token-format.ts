import { randomBytes } from "node:crypto";
import { crc32 } from "node:zlib";

// Format: <issuer>_<kind>_<body><checksum>, e.g. tsr_pat_<30 base62><6 base62>.
// The issuer prefix is set per deployment (TESSERA_TOKEN_PREFIX), so a token
// found in the wild names who issued it. The body carries log2(62) × 30 ≈ 178
// bits of entropy; the checksum is CRC32 of everything before it, so typos and
// garbage are rejected with no lookup (a CRC catches every single-character
// change) and secret scanners can verify a hit.

const alphabet = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";
const bodyLength = 30;
const checksumLength = 6; // 62^6 ≈ 5.7e10 > 2^32

/** The issuer prefix when a deployment sets none. */
export const defaultTokenIssuer = "tsr";

/** What an issuer prefix may be: a lower-case letter, then 1–9 lower-case letters or digits. */
export const tokenIssuerPattern = /^[a-z][a-z0-9]{1,9}$/;

/** What a token is for, as its prefix says. */
export type TokenKindName = "personal" | "exchanged" | "session";

const kindCodes: Readonly<Record<TokenKindName, string>> = { personal: "pat", exchanged: "bat", session: "ses" };

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

/** One deployment's token format: its issuer prefix, and the functions that make and check values. */
export interface TokenFormat {
  readonly issuer: string;
  /** Every token of this format is exactly this long; anything else is malformed. */
  readonly length: number;
  /** "<issuer>_<kind>_" for each kind. */
  readonly prefixForKind: Readonly<Record<TokenKindName, string>>;
  /** A fresh token value of the given kind. The caller shows it once and keeps only its digest. */
  generate(kind?: TokenKindName): string;
  /**
   * The token's kind if `value` is well formed (this issuer's prefix, exact
   * length, base62 body, matching checksum); `undefined` otherwise. Does no
   * lookup and no hashing.
   */
  parse(value: string): TokenKindName | undefined;
  /** Identifies a token in listings without revealing it: prefix + last four characters. */
  displayHint(value: string): string;
}

/** The token format of a deployment whose prefix is `issuer` (checked against tokenIssuerPattern). */
export function createTokenFormat(issuer: string = defaultTokenIssuer): TokenFormat {
  if (!tokenIssuerPattern.test(issuer)) throw new Error(`token issuer prefix must match ${tokenIssuerPattern.source}`);
  const prefixForKind = Object.freeze(Object.fromEntries(Object.entries(kindCodes).map(([kind, code]) => [kind, `${issuer}_${code}_`]))) as Record<TokenKindName, string>;
  const prefixLength = issuer.length + 5;
  const length = prefixLength + bodyLength + checksumLength;
  const kindForPrefix = new Map<string, TokenKindName>(Object.entries(prefixForKind).map(([kind, prefix]) => [prefix, kind as TokenKindName]));
  return {
    issuer,
    length,
    prefixForKind,
    generate(kind = "personal") {
      let body = "";
      // Rejection sampling keeps every character uniform: 248 = 4 × 62.
      while (body.length < bodyLength) {
        for (const byte of randomBytes(bodyLength * 2)) {
          if (byte < 248) body += alphabet[byte % 62];
          if (body.length === bodyLength) break;
        }
      }
      const rest = prefixForKind[kind] + body;
      return rest + encodeChecksum(crc32(rest));
    },
    parse(value) {
      if (value.length !== length) return undefined;
      const kind = kindForPrefix.get(value.slice(0, prefixLength));
      if (kind === undefined) return undefined;
      for (let i = prefixLength; i < length; i++) {
        const code = value.charCodeAt(i);
        if (code >= 128 || isBase62[code] === 0) return undefined;
      }
      const rest = value.slice(0, length - checksumLength);
      return encodeChecksum(crc32(rest)) === value.slice(length - checksumLength) ? kind : undefined;
    },
    displayHint: (value) => `${value.slice(0, prefixLength)}…${value.slice(-4)}`,
  };
}

/** The default deployment's format ("tsr"). */
export const defaultTokenFormat = createTokenFormat();

/** The default format's length. */
export const tokenLength = defaultTokenFormat.length;
export const prefixForKind = defaultTokenFormat.prefixForKind;

/** A fresh token in the default format. */
export function generateToken(kind: TokenKindName = "personal"): string {
  return defaultTokenFormat.generate(kind);
}

/** parse() of the default format. */
export function parseToken(value: string): TokenKindName | undefined {
  return defaultTokenFormat.parse(value);
}

/** displayHint() of the default format. */
export function displayHint(value: string): string {
  return defaultTokenFormat.displayHint(value);
}
