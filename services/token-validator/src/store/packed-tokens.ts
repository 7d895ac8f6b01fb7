import { sql, type RawBuilder } from "kysely";
import { TokenState } from "@tessera/shared/gen/tessera/feed/v1/feed_pb";
import { TokenKind, TokenLevel } from "@tessera/shared/gen/tessera/v1/token_pb";
import { flagLayout, replicaEpochSeconds, type TokenFacts } from "../domain/replica.js";

// A snapshot carries every live token, a million or more, and must load in a
// few seconds. Parsing a dozen text columns per row costs more than everything
// else together, so Postgres packs each chunk of rows into one bytea in this
// layout (big-endian), and the reader below takes it apart with slices:
//
//   digest           32 bytes
//   id               36 bytes   uuid text
//   owner_id         36 bytes   uuid text
//   organisation_id  36 bytes   uuid text
//   expires_at       int4       replica seconds, 0: never
//   created_at       int4       replica seconds
//   flags            int4       replica.ts tokenFlags()
//   previous_expires int4       replica seconds, 0: none
//   group_id         u8 length (0 or 36), then uuid text
//   previous_digest  u8 length (0 or 32), then bytes
//   parent_digest    u8 length (0 or 32), then bytes
//   scopes           u16 length, then the scopes joined by spaces (ASCII, scope.ts)

const uuidText = 36;
const digestBytes = 32;

/** A timestamp column as replica seconds, 0 when null: replica.ts's toReplicaSeconds, in SQL. */
const replicaSeconds = (column: string) =>
  sql`int4send(coalesce(floor(extract(epoch from ${sql.ref(column)}))::int8 - ${sql.lit(replicaEpochSeconds)}, 0)::int4)`;

/**
 * replica.ts's tokenFlags(), in SQL (deleted tokens are never packed). Every
 * term is parenthesised: Postgres gives | and << the same precedence.
 */
const flags = sql`int4send((case when token.revoked_at is not null then ${sql.lit(TokenState.REVOKED)} when token.disabled_at is not null then ${sql.lit(TokenState.DISABLED)} else ${sql.lit(TokenState.ACTIVE)} end)
  | ((case token.kind when 'personal' then ${sql.lit(TokenKind.PERSONAL)} when 'exchanged' then ${sql.lit(TokenKind.EXCHANGED)} else ${sql.lit(TokenKind.SESSION)} end) << ${sql.lit(flagLayout.kindShift)})
  | ((case token.level when 'user' then ${sql.lit(TokenLevel.USER)} when 'group' then ${sql.lit(TokenLevel.GROUP)} else ${sql.lit(TokenLevel.ORG)} end) << ${sql.lit(flagLayout.levelShift)})
  | (case when token.admin then ${sql.lit(flagLayout.adminBit)} else 0 end)
  | (case when token.parent_token_id is not null then ${sql.lit(flagLayout.parentBit)} else 0 end))`;

/** A byte of value `n` as a bytea literal. */
const byte = (n: number) => sql.raw(`'\\x${n.toString(16).padStart(2, "0")}'::bytea`);

/** A value that may be null, after a one-byte length: 0 for null. */
const lengthPrefixed = (value: RawBuilder<unknown>, length: number) => sql`(case when ${value} is null then ${byte(0)} else ${byte(length)} || ${value} end)`;

/**
 * One token row in the packed layout. `parentDigest` is the parent's digest
 * column (a joined table's), or null where the rows have no parent.
 */
export function packedToken(parentDigest: RawBuilder<unknown>): RawBuilder<Uint8Array> {
  return sql<Uint8Array>`token.digest || convert_to(token.id::text, 'UTF8') || convert_to(token.owner_id::text, 'UTF8')
    || convert_to(token.organisation_id::text, 'UTF8') || ${replicaSeconds("token.expires_at")} || ${replicaSeconds("token.created_at")}
    || ${flags} || ${replicaSeconds("token.previous_digest_expires_at")}
    || ${lengthPrefixed(sql`convert_to(token.group_id::text, 'UTF8')`, uuidText)}
    || ${lengthPrefixed(sql`token.previous_digest`, digestBytes)}
    || ${lengthPrefixed(parentDigest, digestBytes)}
    || int2send(octet_length(array_to_string(token.scopes, ' '))::int2) || convert_to(array_to_string(token.scopes, ' '), 'UTF8')`;
}

/**
 * Reads packed token rows and hands each over as facts. Scope lists are
 * looked up by their packed text, so a list seen before costs no split.
 */
export function* unpackTokens(packed: Uint8Array, scopeLists: Map<string, readonly string[]>): Generator<TokenFacts> {
  const bytes = Buffer.from(packed.buffer, packed.byteOffset, packed.byteLength);
  let at = 0;
  const text = (length: number) => {
    const value = bytes.toString("latin1", at, at + length);
    at += length;
    return value;
  };
  const int32 = () => {
    const value = bytes.readInt32BE(at);
    at += 4;
    return value;
  };
  const optional = () => {
    const length = bytes[at++]!;
    return length === 0 ? "" : text(length);
  };
  while (at < bytes.length) {
    const digestKey = text(digestBytes);
    const id = text(uuidText);
    const ownerId = text(uuidText);
    const organisationId = text(uuidText);
    const expiresAt = int32();
    const createdAt = int32();
    const flags = int32();
    const previousExpiresAt = int32();
    const groupId = optional();
    const previousDigestKey = optional();
    const parentDigestKey = optional();
    const scopesText = text(bytes.readUInt16BE((at += 2) - 2));
    let scopes = scopeLists.get(scopesText);
    if (!scopes) {
      scopes = scopesText === "" ? [] : scopesText.split(" ");
      scopeLists.set(scopesText, scopes);
    }
    yield { id, digestKey, previousDigestKey, previousExpiresAt, flags, parentDigestKey, ownerId, organisationId, groupId, scopes, expiresAt, createdAt };
  }
}
