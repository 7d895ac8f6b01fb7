import { create } from "@bufbuild/protobuf";
import type { GroupRow, OrganisationRow, PrincipalRow, TokenRow } from "../db/schema.js";
import {
  ChangeRecordSchema,
  TokenState,
  type ChangeRecord,
} from "../gen/tessera/feed/v1/feed_pb.js";
import { TokenKind, TokenLevel } from "../gen/tessera/v1/token_pb.js";

// The feed carries the full state of each entity a change touched, so a
// validator applying it twice, or applying only the newest, ends up right.

const kindOf = { personal: TokenKind.PERSONAL, exchanged: TokenKind.EXCHANGED, session: TokenKind.SESSION } as const;
const levelOf = { user: TokenLevel.USER, group: TokenLevel.GROUP, org: TokenLevel.ORG } as const;

function tokenState(row: TokenRow): TokenState {
  if (row.deleted_at) return TokenState.DELETED;
  if (row.revoked_at) return TokenState.REVOKED;
  if (row.disabled_at) return TokenState.DISABLED;
  return TokenState.ACTIVE;
}

const millis = (date: Date | null) => BigInt(date?.getTime() ?? 0);

/**
 * The record of a token's current state. `parentDigest`: for an exchanged token,
 * its parent's current digest (known where the child is made, and to snapshots).
 */
export function tokenChangeRecord(row: TokenRow, parentDigest?: Uint8Array): ChangeRecord {
  return create(ChangeRecordSchema, {
    record: {
      case: "token",
      value: {
        id: row.id,
        digest: row.digest,
        ownerId: row.owner_id,
        organisationId: row.organisation_id,
        groupId: row.group_id ?? "",
        scopes: row.scopes,
        expiresAtMs: millis(row.expires_at),
        state: tokenState(row),
        admin: row.admin,
        kind: kindOf[row.kind],
        level: levelOf[row.level],
        parentTokenId: row.parent_token_id ?? "",
        previousDigest: row.previous_digest ?? new Uint8Array(0),
        previousDigestExpiresAtMs: millis(row.previous_digest_expires_at),
        createdAtMs: millis(row.created_at),
        parentDigest: parentDigest ?? new Uint8Array(0),
        honeytoken: row.honeytoken,
      },
    },
  });
}

/** A principal's current state; `removed`: nothing refers to it any more, and validators let it go. */
export function principalChangeRecord(row: Pick<PrincipalRow, "id" | "organisation_id" | "permissions" | "disabled_at" | "group_id" | "tokens_not_before">, removed = false): ChangeRecord {
  return create(ChangeRecordSchema, {
    record: {
      case: "principal",
      value: {
        id: row.id,
        organisationId: row.organisation_id,
        permissions: row.permissions,
        disabled: row.disabled_at !== null,
        deleted: removed,
        groupId: row.group_id ?? "",
        tokensNotBeforeMs: millis(row.tokens_not_before),
      },
    },
  });
}

export function organisationChangeRecord(row: Pick<OrganisationRow, "id" | "api_tokens_enabled" | "tokens_not_before">): ChangeRecord {
  return create(ChangeRecordSchema, {
    record: { case: "organisation", value: { id: row.id, apiTokensEnabled: row.api_tokens_enabled, tokensNotBeforeMs: millis(row.tokens_not_before) } },
  });
}

/** A group's cut-off (the only fact of a group validators need). */
export function groupChangeRecord(row: Pick<GroupRow, "id" | "organisation_id" | "tokens_not_before">): ChangeRecord {
  return create(ChangeRecordSchema, {
    record: { case: "group", value: { id: row.id, organisationId: row.organisation_id, tokensNotBeforeMs: millis(row.tokens_not_before) } },
  });
}
