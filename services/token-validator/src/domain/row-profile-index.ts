import { packedToken } from "@tessera/shared/snapshot/packed-token-layout";

// Profiles found by a snapshot row's own bytes — the 48 bytes of its three ids
// (owner, organisation, group) and its scope bytes — in one probe, with no
// string made: a snapshot is a million rows, and this runs once a row. Open
// addressing over an Int32Array of profile numbers; each profile's key is kept
// as twelve words and a Buffer to compare against, and its hash to rehash by.

const idBytes = 3 * packedToken.uuidBytes;
const idWords = idBytes / 4;
const initialSize = 64;

const word = (bytes: Uint8Array, at: number) => bytes[at]! | (bytes[at + 1]! << 8) | (bytes[at + 2]! << 16) | (bytes[at + 3]! << 24);

/**
 * A row's hash: every word of its ids (uuids need not be random: v7 and
 * hand-made ones share long prefixes), then the scopes' length and ends. Rows
 * that collide only cost a comparison.
 */
function rowHash(bytes: Uint8Array, idsAt: number, scopesAt: number, scopesLength: number): number {
  let hash = scopesLength;
  for (let at = idsAt; at < idsAt + idBytes; at += 4) hash = Math.imul(hash ^ word(bytes, at), 0x5bd1e995) ^ (hash >>> 13);
  if (scopesLength >= 4) {
    hash = Math.imul(hash ^ word(bytes, scopesAt), 0x5bd1e995);
    hash = Math.imul(hash ^ word(bytes, scopesAt + scopesLength - 4), 0x5bd1e995);
  } else {
    for (let i = 0; i < scopesLength; i++) hash = Math.imul(hash ^ bytes[scopesAt + i]!, 0x5bd1e995);
  }
  // murmur3's finaliser: every bit of the key reaches the low bits a table position uses.
  hash = Math.imul(hash ^ (hash >>> 16), 0x85ebca6b);
  hash = Math.imul(hash ^ (hash >>> 13), 0xc2b2ae35);
  return hash ^ (hash >>> 16);
}

export class RowProfileIndex {
  /** Profile number + 1 by position; 0 is empty. */
  private entries = new Int32Array(initialSize);
  private filled = 0;
  /** By profile number: its row hash, its ids as words, its scope bytes (undefined: not indexed). */
  private hashes = new Int32Array(initialSize);
  private ids = new Int32Array(initialSize * idWords);
  private readonly scopes: (Buffer | undefined)[] = [];

  /** The profile of the row whose ids start at `idsAt` and scopes at `scopesAt`, or -1. */
  find(bytes: Uint8Array, idsAt: number, scopesAt: number, scopesLength: number): number {
    const hash = rowHash(bytes, idsAt, scopesAt, scopesLength);
    const entries = this.entries;
    const mask = entries.length - 1;
    for (let i = hash & mask; ; i = (i + 1) & mask) {
      const entry = entries[i]!;
      if (entry === 0) return -1;
      const profile = entry - 1;
      if (this.hashes[profile] === hash && this.sameRow(profile, bytes, idsAt, scopesAt, scopesLength)) return profile;
    }
  }

  /** Files `profile` under the row's bytes (once: a profile already filed stays as it is). */
  add(profile: number, bytes: Uint8Array, idsAt: number, scopesAt: number, scopesLength: number): void {
    if (this.scopes[profile]) return;
    if ((this.filled + 1) * 4 > this.entries.length * 3) this.resize(this.entries.length * 2);
    this.ensureProfile(profile);
    const hash = rowHash(bytes, idsAt, scopesAt, scopesLength);
    this.hashes[profile] = hash;
    for (let w = 0; w < idWords; w++) this.ids[profile * idWords + w] = word(bytes, idsAt + w * 4);
    this.scopes[profile] = Buffer.from(bytes.subarray(scopesAt, scopesAt + scopesLength));
    this.place(profile + 1, hash);
    this.filled++;
  }

  /** Forgets `profile` (let go with its last token), shifting back the entries probed past it. */
  delete(profile: number): void {
    if (!this.scopes[profile]) return;
    this.scopes[profile] = undefined;
    const entries = this.entries;
    const mask = entries.length - 1;
    let i = this.hashes[profile]! & mask;
    while (entries[i] !== profile + 1) i = (i + 1) & mask;
    for (let j = (i + 1) & mask; entries[j] !== 0; j = (j + 1) & mask) {
      const home = this.hashes[entries[j]! - 1]! & mask;
      // The entry at j may move to the hole at i if its home is not in (i, j], cyclically.
      const stays = i <= j ? home > i && home <= j : home > i || home <= j;
      if (!stays) {
        entries[i] = entries[j]!;
        i = j;
      }
    }
    entries[i] = 0;
    this.filled--;
  }

  get size(): number {
    return this.filled;
  }

  private sameRow(profile: number, bytes: Uint8Array, idsAt: number, scopesAt: number, scopesLength: number): boolean {
    const base = profile * idWords;
    for (let w = 0; w < idWords; w++) if (this.ids[base + w] !== word(bytes, idsAt + w * 4)) return false;
    const scopes = this.scopes[profile]!;
    if (scopes.length !== scopesLength) return false;
    for (let i = 0; i < scopesLength; i++) if (scopes[i] !== bytes[scopesAt + i]) return false;
    return true;
  }

  private place(entry: number, hash: number): void {
    const entries = this.entries;
    const mask = entries.length - 1;
    let i = hash & mask;
    while (entries[i] !== 0) i = (i + 1) & mask;
    entries[i] = entry;
  }

  private resize(size: number): void {
    const old = this.entries;
    this.entries = new Int32Array(size);
    for (const entry of old) if (entry !== 0) this.place(entry, this.hashes[entry - 1]!);
  }

  /** Room for `profile`'s key (profile numbers are dense: an interned table's). */
  private ensureProfile(profile: number): void {
    if (profile < this.hashes.length) return;
    let length = this.hashes.length;
    while (length <= profile) length *= 2;
    const hashes = new Int32Array(length);
    hashes.set(this.hashes);
    this.hashes = hashes;
    const ids = new Int32Array(length * idWords);
    ids.set(this.ids);
    this.ids = ids;
  }
}
