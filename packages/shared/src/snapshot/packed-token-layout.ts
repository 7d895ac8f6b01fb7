// The one definition of how a snapshot carries tokens. Postgres packs rows in
// this layout (the snapshot functions token-admin's migrations create), token-admin
// serves cached snapshots in it, and the validator loads it straight into its
// table: no per-row objects, no text parsing. Every integer is big-endian.
//
//   offset  size  field
//   0       32    digest             HMAC-SHA256 of the value under the pepper
//   32      16    id                 uuid bytes
//   48      16    owner_id           uuid bytes
//   64      16    organisation_id    uuid bytes
//   80      16    group_id           uuid bytes; all zero: none
//   96      4     expires_at         int4 replica seconds; 0: never
//   100     4     created_at         int4 replica seconds
//   104     4     previous_expires   int4 replica seconds; 0: no previous value
//   108     2     flags              u16, tokenFlags() below
//   110     1+n   previous_digest    u8 length (0 or 32), then the digest a RegenerateToken replaced
//   ...     1+n   parent_digest      u8 length (0 or 32), then the parent's current digest (exchanged tokens)
//   ...     2+n   scopes             u16 length, then the scopes joined by single spaces (ASCII)
//
// Within one snapshot, every token without a parent comes before any token with one,
// so a child always finds its parent already held.

/** Byte offsets and sizes of the fixed part. */
export const packedToken = {
  digest: 0,
  id: 32,
  ownerId: 48,
  organisationId: 64,
  groupId: 80,
  expiresAt: 96,
  createdAt: 100,
  previousExpiresAt: 104,
  flags: 108,
  /** The first variable-length field. */
  variable: 110,
  digestBytes: 32,
  uuidBytes: 16,
} as const;

/**
 * Times are whole seconds since 2020-01-01: they fit an int4 until 2088 and
 * stay V8 small integers, where Unix seconds would overflow in 2038.
 */
export const replicaEpochSeconds = 1_577_836_800;

/** A Unix time in milliseconds as replica seconds (floored: never later than the instant). */
export function toReplicaSeconds(unixMs: number): number {
  return Math.floor(unixMs / 1000) - replicaEpochSeconds;
}

/** Replica seconds back to Unix seconds. */
export function toUnixSeconds(replicaSeconds: number): number {
  return replicaSeconds + replicaEpochSeconds;
}

// flags: bits 0-2 TokenState, 3-4 TokenKind, 5-6 TokenLevel, 7 admin, 8 has a parent, 9 honeytoken.
/** The flags layout: the snapshot functions compute the same in SQL. */
export const flagLayout = { stateMask: 0b111, kindShift: 3, levelShift: 5, adminBit: 1 << 7, parentBit: 1 << 8, honeytokenBit: 1 << 9 } as const;

/** Packs what a token is into its flags. Enum values are the feed's (TokenState, TokenKind, TokenLevel). */
export function tokenFlags(state: number, kind: number, level: number, admin: boolean, hasParent: boolean, honeytoken = false): number {
  return (
    state |
    (kind << flagLayout.kindShift) |
    (level << flagLayout.levelShift) |
    (admin ? flagLayout.adminBit : 0) |
    (hasParent ? flagLayout.parentBit : 0) |
    (honeytoken ? flagLayout.honeytokenBit : 0)
  );
}

/** Where a packed token's variable fields lie: readPackedTokenFields fills one, reused row after row. */
export interface PackedTokenFields {
  previousAt: number;
  /** 0 or 32. */
  previousLength: number;
  parentAt: number;
  /** 0 or 32. */
  parentLength: number;
  scopesAt: number;
  scopesLength: number;
}

export const emptyPackedTokenFields = (): PackedTokenFields => ({ previousAt: 0, previousLength: 0, parentAt: 0, parentLength: 0, scopesAt: 0, scopesLength: 0 });

/** Reads where the variable fields of the whole packed token at `at` lie, into `into` (no object made per row). */
export function readPackedTokenFields(bytes: Uint8Array, at: number, into: PackedTokenFields): PackedTokenFields {
  into.previousAt = at + packedToken.variable + 1;
  into.previousLength = bytes[into.previousAt - 1]!;
  into.parentAt = into.previousAt + into.previousLength + 1;
  into.parentLength = bytes[into.parentAt - 1]!;
  into.scopesAt = into.parentAt + into.parentLength + 2;
  into.scopesLength = (bytes[into.scopesAt - 2]! << 8) | bytes[into.scopesAt - 1]!;
  return into;
}

/**
 * The length of the packed token starting at `at`, or undefined if `bytes`
 * ends before its length can be known (a stream reader waits for more).
 */
export function packedTokenLength(bytes: Uint8Array, at: number): number | undefined {
  let end = at + packedToken.variable;
  if (end >= bytes.length) return undefined;
  end += 1 + bytes[end]!; // previous digest
  if (end >= bytes.length) return undefined;
  end += 1 + bytes[end]!; // parent digest
  if (end + 1 >= bytes.length) return undefined;
  end += 2 + ((bytes[end]! << 8) | bytes[end + 1]!); // scopes
  return end - at;
}
