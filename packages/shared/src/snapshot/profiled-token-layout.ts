import { emptyPackedTokenFields, packedToken, packedTokenLength, readPackedTokenFields } from "./packed-token-layout.js";

// token-admin's cached snapshot carries tokens in a layout of its own, made
// once per build from the packed rows Postgres gives (packed-token-layout.ts),
// for the one reader that loads it into memory a million rows at a time:
//
// - the (owner, organisation, group, scopes) a row names — its *profile* — is
//   listed once, in a profiles frame, and a row carries its number: a validator
//   resolves each profile once instead of once a row;
// - digests travel as the 16-byte prefix a validator keys on (the full digest
//   stays in Postgres), so a row is some 52 bytes instead of about 126.
//
// A profile entry:  48 bytes of ids (owner, organisation, group: the packed
//                   layout's, group all zero for none), u16 scopes length, the scopes
// A row:
//   offset  size  field
//   0       16    digest prefix
//   16      16    id
//   32      4     profile     u32, the entry's number: profiles are numbered 0, 1, … in the order listed
//   36      4     expires_at  int4 replica seconds, as in the packed layout
//   40      4     created_at
//   44      4     previous_expires
//   48      2     flags       as in the packed layout
//   50      1+n   previous digest prefix, u8 length 0 or 16
//   ...     1+n   parent digest prefix, u8 length 0 or 16
// Integers big-endian. A child row follows its parent's (the reader finds the parent by digest).

export const profiledToken = {
  digest: 0,
  id: 16,
  profile: 32,
  expiresAt: 36,
  createdAt: 40,
  previousExpiresAt: 44,
  flags: 48,
  variable: 50,
  digestBytes: 16,
} as const;

/** The shortest a profiled row can be: the fixed part and two empty digests' lengths. */
export const minimumProfiledTokenBytes = profiledToken.variable + 2;

/** A profile entry's ids: the packed layout's owner, organisation and group, as they lie there. */
const profileIdBytes = 3 * packedToken.uuidBytes;

/** The length of the row at `at`, or undefined if `bytes` ends before it can be known. */
export function profiledTokenLength(bytes: Uint8Array, at: number): number | undefined {
  let end = at + profiledToken.variable;
  if (end >= bytes.length) return undefined;
  end += 1 + bytes[end]!; // previous digest
  if (end >= bytes.length) return undefined;
  end += 1 + bytes[end]!; // parent digest
  return end - at;
}

/** The length of the profile entry at `at`, or undefined if `bytes` ends before it can be known. */
export function profileEntryLength(bytes: Uint8Array, at: number): number | undefined {
  const lengthAt = at + profileIdBytes;
  if (lengthAt + 1 >= bytes.length) return undefined;
  return profileIdBytes + 2 + ((bytes[lengthAt]! << 8) | bytes[lengthAt + 1]!);
}

/** Where a profile entry's parts lie: its ids at `at`, its scopes at `scopesAt`. */
export function profileEntryScopes(bytes: Uint8Array, at: number): { scopesAt: number; scopesLength: number } {
  const lengthAt = at + profileIdBytes;
  return { scopesAt: lengthAt + 2, scopesLength: (bytes[lengthAt]! << 8) | bytes[lengthAt + 1]! };
}

/**
 * Rewrites packed rows as profiled rows, chunk after chunk of one snapshot,
 * numbering profiles in the order rows first name them. One pass; per row, a
 * string of its profile's bytes is the only thing made.
 */
export class ProfiledTokenWriter {
  private readonly numbers = new Map<string, number>();

  /** The profiled rows of a chunk of whole packed rows, and the entries of the profiles they were first to name. */
  rewrite(packed: Uint8Array): { rows: Buffer; profiles: Buffer | undefined } {
    const source = Buffer.from(packed.buffer, packed.byteOffset, packed.byteLength);
    const rows = Buffer.allocUnsafe(source.length); // a profiled row is never longer than its packed one
    const entries: Buffer[] = [];
    let out = 0;
    const fields = emptyPackedTokenFields();
    for (let at = 0; at < source.length; ) {
      const length = packedTokenLength(source, at);
      if (length === undefined || at + length > source.length) throw new Error("a packed chunk ends inside a token");
      const { previousAt, previousLength, parentAt, parentLength, scopesAt } = readPackedTokenFields(source, at, fields);
      const scopesStart = scopesAt - 2; // the entry carries the scopes' length, as the packed row does
      const scopesEnd = at + length;
      const idsAt = at + packedToken.ownerId;
      // The key: ids and scopes as latin1 (one char a byte), with the scopes' length between so no two profiles share one.
      const key = source.toString("latin1", idsAt, idsAt + profileIdBytes) + source.toString("latin1", scopesStart, scopesEnd);
      let profile = this.numbers.get(key);
      if (profile === undefined) {
        profile = this.numbers.size;
        this.numbers.set(key, profile);
        entries.push(source.subarray(idsAt, idsAt + profileIdBytes), source.subarray(scopesStart, scopesEnd));
      }
      source.copy(rows, out, at + packedToken.digest, at + packedToken.digest + profiledToken.digestBytes);
      source.copy(rows, out + profiledToken.id, at + packedToken.id, at + packedToken.id + packedToken.uuidBytes);
      rows.writeUInt32BE(profile, out + profiledToken.profile);
      // expires, created, previous expires and flags lie together in both layouts.
      source.copy(rows, out + profiledToken.expiresAt, at + packedToken.expiresAt, at + packedToken.flags + 2);
      out += profiledToken.variable;
      out = copyDigestPrefix(source, previousAt, previousLength, rows, out);
      out = copyDigestPrefix(source, parentAt, parentLength, rows, out);
      at = scopesEnd;
    }
    // Copied to its length: the scratch is sized for packed rows, some 2.4 times as long, and a cache holds these.
    return { rows: Buffer.from(rows.subarray(0, out)), profiles: entries.length > 0 ? Buffer.concat(entries) : undefined };
  }

  /** Profiles numbered so far. */
  get profiles(): number {
    return this.numbers.size;
  }
}

/** Bytes of rows per frame that rowsInIndexOrder() cuts: near what a page of packed rows makes. */
const orderedFrameBytes = 256 * 1024;

/**
 * All of a snapshot's profiled rows, reordered by their digest's first byte —
 * the byte that picks a validator's index shard, so a reader inserts into one
 * shard after another instead of at random (twice as fast at a million rows:
 * one shard stays in cache) — with every row that has a parent last, in the
 * order it had, so a child still follows its parent. Cut into frames of whole
 * rows of about `orderedFrameBytes`.
 */
export function rowsInIndexOrder(chunks: readonly Uint8Array[]): Buffer[] {
  const childBucket = 256;
  const bucketBytes = new Float64Array(childBucket + 1);
  const bucketOf = (bytes: Uint8Array, at: number) => (parentLengthOf(bytes, at) !== 0 ? childBucket : bytes[at + profiledToken.digest]!);
  const walk = (visit: (chunk: Uint8Array, at: number, length: number) => void) => {
    for (const chunk of chunks) {
      for (let at = 0; at < chunk.length; ) {
        const length = profiledTokenLength(chunk, at);
        if (length === undefined || at + length > chunk.length) throw new Error("a chunk of profiled rows ends inside a row");
        visit(chunk, at, length);
        at += length;
      }
    }
  };
  walk((chunk, at, length) => {
    const bucket = bucketOf(chunk, at);
    bucketBytes[bucket] = bucketBytes[bucket]! + length;
  });
  const next = new Float64Array(childBucket + 1);
  let total = 0;
  for (let bucket = 0; bucket <= childBucket; bucket++) {
    next[bucket] = total;
    total += bucketBytes[bucket]!;
  }
  const ordered = Buffer.allocUnsafe(total);
  walk((chunk, at, length) => {
    const bucket = bucketOf(chunk, at);
    ordered.set(chunk.subarray(at, at + length), next[bucket]!);
    next[bucket] = next[bucket]! + length;
  });
  const frames: Buffer[] = [];
  let start = 0;
  for (let at = 0; at < total; ) {
    at += profiledTokenLength(ordered, at)!;
    if (at - start >= orderedFrameBytes || at === total) {
      frames.push(ordered.subarray(start, at));
      start = at;
    }
  }
  return frames;
}

/** The length of the parent digest prefix of the whole row at `at`. */
function parentLengthOf(bytes: Uint8Array, at: number): number {
  const previousAt = at + profiledToken.variable;
  return bytes[previousAt + 1 + bytes[previousAt]!]!;
}

/** A length-prefixed digest (0 or 32 bytes) as a length-prefixed prefix (0 or 16). */
function copyDigestPrefix(source: Buffer, at: number, length: number, into: Buffer, out: number): number {
  if (length === 0) {
    into[out] = 0;
    return out + 1;
  }
  into[out] = profiledToken.digestBytes;
  source.copy(into, out + 1, at, at + profiledToken.digestBytes);
  return out + 1 + profiledToken.digestBytes;
}
