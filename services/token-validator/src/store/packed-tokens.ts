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
  | (case when token.parent_token_id is not null then ${sql.lit(flagLayout.parentBit)} else 0 end)
  | (case when token.honeytoken then ${sql.lit(flagLayout.honeytokenBit)} else 0 end))`;

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

type WritableFacts = { -readonly [K in keyof TokenFacts]: TokenFacts[K] };

/**
 * Reads packed token rows one at a time into the same facts object (a million
 * short-lived objects would cost the young generation more than the reading).
 * The target copies what it keeps; scope lists come from its shared lists, by
 * their packed text, so a list seen before costs no split.
 */
export class PackedTokenReader {
  readonly facts: WritableFacts = {
    id: "", digestKey: "", previousDigestKey: "", previousExpiresAt: 0, flags: 0, parentDigestKey: "",
    ownerId: "", organisationId: "", groupId: "", scopes: [], expiresAt: 0, createdAt: 0,
  };
  private readonly bytes: Buffer;
  private at = 0;

  constructor(packed: Uint8Array, private readonly scopeList: (text: string) => readonly string[]) {
    this.bytes = Buffer.from(packed.buffer, packed.byteOffset, packed.byteLength);
  }

  /** Reads the next token into `facts`; false at the end. */
  next(): boolean {
    if (this.at >= this.bytes.length) return false;
    const facts = this.facts;
    facts.digestKey = this.text(digestBytes);
    facts.id = this.text(uuidText);
    facts.ownerId = this.text(uuidText);
    facts.organisationId = this.text(uuidText);
    facts.expiresAt = this.int32();
    facts.createdAt = this.int32();
    facts.flags = this.int32();
    facts.previousExpiresAt = this.int32();
    facts.groupId = this.optional();
    facts.previousDigestKey = this.optional();
    facts.parentDigestKey = this.optional();
    const scopesLength = this.bytes.readUInt16BE(this.at);
    this.at += 2;
    facts.scopes = this.scopeList(this.text(scopesLength));
    return true;
  }

  private text(length: number): string {
    const value = this.bytes.toString("latin1", this.at, this.at + length);
    this.at += length;
    return value;
  }

  private int32(): number {
    const value = this.bytes.readInt32BE(this.at);
    this.at += 4;
    return value;
  }

  private optional(): string {
    const length = this.bytes[this.at++]!;
    return length === 0 ? "" : this.text(length);
  }
}
