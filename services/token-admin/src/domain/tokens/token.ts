import type { TokenKindColumn, TokenLevelName, TokenRow } from "@tessera/shared/db/schema";

export type TokenStatusName = "active" | "disabled" | "revoked" | "expired";

/** A token's record as the admin API shows it. Never the value, never the digest. */
export interface Token {
  readonly id: string;
  readonly name: string;
  readonly organisationId: string;
  readonly ownerId: string;
  readonly groupId: string | null;
  readonly level: TokenLevelName;
  readonly kind: TokenKindColumn;
  readonly scopes: readonly string[];
  readonly admin: boolean;
  readonly createdBy: string;
  readonly createdAt: Date;
  readonly expiresAt: Date | null;
  readonly lastUsedAt: Date | null;
  readonly lastUsedSource: string | null;
  readonly revokedAt: Date | null;
  readonly revokedBy: string | null;
  /** "manual", "inactivity", …; null while not revoked. */
  readonly revocationReason: string | null;
  readonly disabledAt: Date | null;
  readonly disabledBy: string | null;
  readonly regeneratedAt: Date | null;
  readonly parentTokenId: string | null;
  readonly displayHint: string;
  readonly status: TokenStatusName;
  /** A decoy: refused everywhere as unknown, every presentation reported. */
  readonly honeytoken: boolean;
  /** After a regenerate with a grace period: when the previous value stops (null: none pending or stopped at once). */
  readonly previousValueExpiresAt: Date | null;
  /** When a validator last saw the previous value. */
  readonly previousValueLastUsedAt: Date | null;
  /** Where it was used from, most recently seen first; only GetToken fills it in. */
  readonly useSources?: readonly TokenUseSource[];
}

/** One place a token was presented from. */
export interface TokenUseSource {
  readonly surface: string;
  readonly address: string;
  readonly route: string;
  readonly previousValue: boolean;
  readonly firstSeenAt: Date;
  readonly lastSeenAt: Date;
  readonly count: number;
}

/** Revoked outranks disabled outranks expired: the most permanent reason wins. */
export function tokenStatus(row: Pick<TokenRow, "revoked_at" | "disabled_at" | "expires_at">, now: Date): TokenStatusName {
  if (row.revoked_at) return "revoked";
  if (row.disabled_at) return "disabled";
  if (row.expires_at && row.expires_at.getTime() <= now.getTime()) return "expired";
  return "active";
}

export function tokenFromRow(row: TokenRow, now: Date): Token {
  return {
    id: row.id,
    name: row.name,
    organisationId: row.organisation_id,
    ownerId: row.owner_id,
    groupId: row.group_id,
    level: row.level,
    kind: row.kind,
    scopes: row.scopes,
    admin: row.admin,
    createdBy: row.created_by,
    createdAt: row.created_at,
    expiresAt: row.expires_at,
    lastUsedAt: row.last_used_at,
    lastUsedSource: row.last_used_source,
    revokedAt: row.revoked_at,
    revokedBy: row.revoked_by,
    revocationReason: row.revocation_reason ?? (row.revoked_at ? "manual" : null),
    disabledAt: row.disabled_at,
    disabledBy: row.disabled_by,
    regeneratedAt: row.regenerated_at,
    parentTokenId: row.parent_token_id,
    displayHint: row.display_hint,
    status: tokenStatus(row, now),
    honeytoken: row.honeytoken,
    // The previous digest is always recorded; its expiry is the regenerate's moment when there was no grace.
    previousValueExpiresAt: row.previous_digest_expires_at && row.regenerated_at && row.previous_digest_expires_at > row.regenerated_at ? row.previous_digest_expires_at : null,
    previousValueLastUsedAt: row.previous_value_last_used_at,
  };
}
