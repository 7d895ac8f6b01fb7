import { sql, type RawBuilder } from "kysely";
import { TokenState } from "../gen/tessera/feed/v1/feed_pb.js";
import { TokenKind, TokenLevel } from "../gen/tessera/v1/token_pb.js";
import { flagLayout, packedToken, replicaEpochSeconds } from "./packed-token-layout.js";

// A snapshot carries every live token, a million or more, and must load in
// about a second: Postgres packs each chunk of rows into one bytea in the layout
// packed-token-layout.ts defines. This is that packing in SQL, built from the
// layout's constants; token-admin's snapshot-functions migration puts it in the
// database functions every snapshot reads (a layout change needs a new migration
// that replaces them).

const { digestBytes, uuidBytes } = packedToken;
const nilUuid = sql.raw(`'\\x${"00".repeat(16)}'::bytea`);

/** A timestamp column as replica seconds, 0 when null: toReplicaSeconds, in SQL. */
const replicaSeconds = (column: string) =>
  sql`int4send(coalesce(floor(extract(epoch from ${sql.ref(column)}))::int8 - ${sql.lit(replicaEpochSeconds)}, 0)::int4)`;

/**
 * tokenFlags(), in SQL (deleted tokens are never packed). Every term is
 * parenthesised: Postgres gives | and << the same precedence.
 */
const flags = sql`int2send(((case when token.revoked_at is not null then ${sql.lit(TokenState.REVOKED)} when token.disabled_at is not null then ${sql.lit(TokenState.DISABLED)} else ${sql.lit(TokenState.ACTIVE)} end)
  | ((case token.kind when 'personal' then ${sql.lit(TokenKind.PERSONAL)} when 'exchanged' then ${sql.lit(TokenKind.EXCHANGED)} else ${sql.lit(TokenKind.SESSION)} end) << ${sql.lit(flagLayout.kindShift)})
  | ((case token.level when 'user' then ${sql.lit(TokenLevel.USER)} when 'group' then ${sql.lit(TokenLevel.GROUP)} else ${sql.lit(TokenLevel.ORG)} end) << ${sql.lit(flagLayout.levelShift)})
  | (case when token.admin then ${sql.lit(flagLayout.adminBit)} else 0 end)
  | (case when token.parent_token_id is not null then ${sql.lit(flagLayout.parentBit)} else 0 end)
  | (case when token.honeytoken then ${sql.lit(flagLayout.honeytokenBit)} else 0 end))::int2)`;

/** A byte of value `n` as a bytea literal. */
const byte = (n: number) => sql.raw(`'\\x${n.toString(16).padStart(2, "0")}'::bytea`);

/** A value that may be null, after a one-byte length: 0 for null. */
const lengthPrefixed = (value: RawBuilder<unknown>, length: number) => sql`(case when ${value} is null then ${byte(0)} else ${byte(length)} || ${value} end)`;

/**
 * One token row in the packed layout. `parentDigest` is the parent's digest
 * column (a joined table's), or null where the rows have no parent.
 */
export function packedTokenRow(parentDigest: RawBuilder<unknown>): RawBuilder<Uint8Array> {
  return sql<Uint8Array>`token.digest || uuid_send(token.id) || uuid_send(token.owner_id) || uuid_send(token.organisation_id)
    || coalesce(uuid_send(token.group_id), ${nilUuid})
    || ${replicaSeconds("token.expires_at")} || ${replicaSeconds("token.created_at")} || ${replicaSeconds("token.previous_digest_expires_at")}
    || ${flags}
    || ${lengthPrefixed(sql`token.previous_digest`, digestBytes)}
    || ${lengthPrefixed(parentDigest, digestBytes)}
    || int2send(octet_length(array_to_string(token.scopes, ' '))::int2) || convert_to(array_to_string(token.scopes, ' '), 'UTF8')`;
}

