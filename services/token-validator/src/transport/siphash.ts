import { randomBytes } from "node:crypto";

/** A SipHash key: 128 bits as four little-endian 32-bit words (k0 low, k0 high, k1 low, k1 high). */
export type SipKey = Readonly<Uint32Array>;

/** A fresh random key: lives in this process only. */
export function randomSipKey(): SipKey {
  return new Uint32Array(randomBytes(16).buffer.slice(0, 16));
}

/** The key from 16 bytes (for the reference test vectors). */
export function sipKeyFromBytes(bytes: Uint8Array): SipKey {
  if (bytes.length !== 16) throw new Error("a SipHash key is 16 bytes");
  return new Uint32Array(Uint8Array.from(bytes).buffer);
}

/** The state v0..v3 as (high, low) 32-bit pairs: v0h v0l v1h v1l v2h v2l v3h v3l. Shared: calls are synchronous. */
const state = new Int32Array(8);

/** `count` SipRounds on `state`, in registers between the loads and stores. */
function sipRounds(count: number): void {
  let v0h = state[0]!, v0l = state[1]!, v1h = state[2]!, v1l = state[3]!, v2h = state[4]!, v2l = state[5]!, v3h = state[6]!, v3l = state[7]!;
  let t = 0;
  for (let r = 0; r < count; r++) {
    // v0 += v1; v1 = rotl(v1, 13); v1 ^= v0; v0 = rotl(v0, 32)
    t = (v0l + v1l) | 0;
    v0h = (v0h + v1h + ((t ^ 0x80000000) < (v0l ^ 0x80000000) ? 1 : 0)) | 0;
    v0l = t;
    t = ((v1h << 13) | (v1l >>> 19)) | 0;
    v1l = ((v1l << 13) | (v1h >>> 19)) | 0;
    v1h = (t ^ v0h) | 0;
    v1l = (v1l ^ v0l) | 0;
    t = v0h;
    v0h = v0l;
    v0l = t;
    // v2 += v3; v3 = rotl(v3, 16); v3 ^= v2
    t = (v2l + v3l) | 0;
    v2h = (v2h + v3h + ((t ^ 0x80000000) < (v2l ^ 0x80000000) ? 1 : 0)) | 0;
    v2l = t;
    t = ((v3h << 16) | (v3l >>> 16)) | 0;
    v3l = ((v3l << 16) | (v3h >>> 16)) | 0;
    v3h = (t ^ v2h) | 0;
    v3l = (v3l ^ v2l) | 0;
    // v0 += v3; v3 = rotl(v3, 21); v3 ^= v0
    t = (v0l + v3l) | 0;
    v0h = (v0h + v3h + ((t ^ 0x80000000) < (v0l ^ 0x80000000) ? 1 : 0)) | 0;
    v0l = t;
    t = ((v3h << 21) | (v3l >>> 11)) | 0;
    v3l = ((v3l << 21) | (v3h >>> 11)) | 0;
    v3h = (t ^ v0h) | 0;
    v3l = (v3l ^ v0l) | 0;
    // v2 += v1; v1 = rotl(v1, 17); v1 ^= v2; v2 = rotl(v2, 32)
    t = (v2l + v1l) | 0;
    v2h = (v2h + v1h + ((t ^ 0x80000000) < (v2l ^ 0x80000000) ? 1 : 0)) | 0;
    v2l = t;
    t = ((v1h << 17) | (v1l >>> 15)) | 0;
    v1l = ((v1l << 17) | (v1h >>> 15)) | 0;
    v1h = (t ^ v2h) | 0;
    v1l = (v1l ^ v2l) | 0;
    t = v2h;
    v2h = v2l;
    v2l = t;
  }
  state[0] = v0h;
  state[1] = v0l;
  state[2] = v1h;
  state[3] = v1l;
  state[4] = v2h;
  state[5] = v2l;
  state[6] = v3h;
  state[7] = v3l;
}

/** One message word: into v3, two rounds, into v0. */
function compress(mh: number, ml: number): void {
  state[6] = state[6]! ^ mh;
  state[7] = state[7]! ^ ml;
  sipRounds(2);
  state[0] = state[0]! ^ mh;
  state[1] = state[1]! ^ ml;
}

/**
 * SipHash-2-4 with its 128-bit output (Aumasson & Bernstein): a keyed
 * pseudorandom function, so without the key nobody can find a value that
 * lands on the same output as another. Computed over the string's characters
 * as bytes; undefined if one does not fit in a byte. Returned as 8 UTF-16 code
 * units (a Map key, not text). Written in 32-bit halves because JavaScript has
 * no cheap 64-bit integers. For a token it is no faster than node:crypto's
 * SHA-256 in a tight loop, but it stays in JavaScript: between HTTP requests,
 * with cold caches, a call into C++ and OpenSSL costs about twice as much.
 */
export function sipHash128(key: SipKey, value: string): string | undefined {
  state[0] = key[1]! ^ 0x736f6d65;
  state[1] = key[0]! ^ 0x70736575;
  state[2] = key[3]! ^ 0x646f7261;
  state[3] = key[2]! ^ 0x6e646f6d ^ 0xee; // the 128-bit variant's domain separation
  state[4] = key[1]! ^ 0x6c796765;
  state[5] = key[0]! ^ 0x6e657261;
  state[6] = key[3]! ^ 0x74656462;
  state[7] = key[2]! ^ 0x79746573;
  const length = value.length;
  const whole = length - (length % 8);
  for (let i = 0; i < whole; i += 8) {
    const a = value.charCodeAt(i), b = value.charCodeAt(i + 1), c = value.charCodeAt(i + 2), d = value.charCodeAt(i + 3);
    const e = value.charCodeAt(i + 4), f = value.charCodeAt(i + 5), g = value.charCodeAt(i + 6), h = value.charCodeAt(i + 7);
    if ((a | b | c | d | e | f | g | h) > 0xff) return undefined;
    compress((e | (f << 8) | (g << 16) | (h << 24)) >>> 0, (a | (b << 8) | (c << 16) | (d << 24)) >>> 0);
  }
  // The last word: the remaining bytes, with the length's low byte on top.
  let ml = 0;
  let mh = (length & 0xff) << 24;
  for (let j = whole; j < length; j++) {
    const byte = value.charCodeAt(j);
    if (byte > 0xff) return undefined;
    const shift = (j - whole) * 8;
    if (shift < 32) ml |= byte << shift;
    else mh |= byte << (shift - 32);
  }
  compress(mh >>> 0, ml >>> 0);
  state[5] = state[5]! ^ 0xee;
  sipRounds(4);
  const al = state[1]! ^ state[3]! ^ state[5]! ^ state[7]!;
  const ah = state[0]! ^ state[2]! ^ state[4]! ^ state[6]!;
  state[3] = state[3]! ^ 0xdd;
  sipRounds(4);
  const bl = state[1]! ^ state[3]! ^ state[5]! ^ state[7]!;
  const bh = state[0]! ^ state[2]! ^ state[4]! ^ state[6]!;
  return String.fromCharCode(al & 0xffff, al >>> 16, ah & 0xffff, ah >>> 16, bl & 0xffff, bl >>> 16, bh & 0xffff, bh >>> 16);
}
