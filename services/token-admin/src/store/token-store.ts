import { sql, type Kysely, type Transaction } from "kysely";
import type { Database, NewToken, PrincipalRow, TokenKindColumn, TokenLevelName, TokenRow, TokenUpdate } from "@tessera/shared/db/schema";
import { comesAfter, type PageAfter } from "./page-after.js";

/** Inside a transaction: the row is part of a change that also writes audit and feed rows. */
export function insertToken(trx: Transaction<Database>, values: NewToken): Promise<TokenRow> {
  return trx.insertInto("token").values(values).returningAll().executeTakeFirstOrThrow();
}

/** A token that has not been deleted; undefined if none. */
export function findToken(db: Kysely<Database>, id: string): Promise<TokenRow | undefined> {
  return db.selectFrom("token").selectAll().where("id", "=", id).where("deleted_at", "is", null).executeTakeFirst();
}

/** Locks the row until commit, so two lifecycle changes to one token cannot interleave. */
export function lockToken(trx: Transaction<Database>, id: string): Promise<TokenRow | undefined> {
  return trx
    .selectFrom("token")
    .selectAll()
    .where("id", "=", id)
    .where("deleted_at", "is", null)
    .forUpdate()
    .executeTakeFirst();
}

/** Locks several rows in id order (so two bulk calls cannot deadlock); deleted ones are absent. */
export function lockTokens(trx: Transaction<Database>, ids: readonly string[]): Promise<TokenRow[]> {
  return trx
    .selectFrom("token")
    .selectAll()
    .where("id", "in", [...ids])
    .where("deleted_at", "is", null)
    .orderBy("id")
    .forUpdate()
    .execute();
}

export function updateToken(trx: Transaction<Database>, id: string, set: TokenUpdate): Promise<TokenRow> {
  return trx.updateTable("token").set(set).where("id", "=", id).returningAll().executeTakeFirstOrThrow();
}

/** Marks several tokens deleted in one statement; returns them. */
export function markTokensDeleted(trx: Transaction<Database>, ids: readonly string[], deletedBy: string, now: Date): Promise<TokenRow[]> {
  return trx.updateTable("token").set({ deleted_at: now, deleted_by: deletedBy }).where("id", "in", [...ids]).returningAll().execute();
}

/** Which live tokens to revoke: those exchanged from one parent, or one owner's of one name. */
export type LiveTokenMatch = { readonly parentId: string } | { readonly ownerId: string; readonly name: string };

/**
 * Revokes the live tokens matching: those exchanged from a parent (a regenerated
 * parent's children), or an owner's of one name (the built-in admin's own, at
 * recovery). Returns them.
 */
export function revokeLiveTokens(trx: Transaction<Database>, match: LiveTokenMatch, revokedBy: string, now: Date): Promise<TokenRow[]> {
  let query = trx.updateTable("token").set({ revoked_at: now, revoked_by: revokedBy }).where("revoked_at", "is", null).where("deleted_at", "is", null);
  query = "parentId" in match ? query.where("parent_token_id", "=", match.parentId) : query.where("owner_id", "=", match.ownerId).where("name", "=", match.name);
  return query.returningAll().execute();
}

/** Revokes a principal's live session tokens except `keepId` (the caller's own session); returns them. */
export function revokeSessions(trx: Transaction<Database>, ownerId: string, keepId: string, revokedBy: string, now: Date): Promise<TokenRow[]> {
  return trx
    .updateTable("token")
    .set({ revoked_at: now, revoked_by: revokedBy })
    .where("owner_id", "=", ownerId)
    .where("kind", "=", "session")
    .where("id", "!=", keepId)
    .where("revoked_at", "is", null)
    .where("deleted_at", "is", null)
    .returningAll()
    .execute();
}

/** A presented token with what deciding on it needs: its owner, the owner's organisation's switch, its parent. */
export interface Credential {
  readonly token: TokenRow;
  readonly owner: Pick<PrincipalRow, "id" | "organisation_id" | "group_id" | "role" | "permissions" | "disabled_at">;
  readonly organisationApiTokensEnabled: boolean;
  /** Exchanged and session tokens: their parent, undefined when it is gone (deleted). */
  readonly parent: Pick<TokenRow, "revoked_at" | "disabled_at" | "expires_at" | "created_at"> | undefined;
  /** The latest incident cut-off of the owner, its group and its organisation: tokens created before it are refused. */
  readonly tokensNotBefore: Date | null;
}

/**
 * The token a presented value belongs to — by its current digest, or by the
 * digest it had before a RegenerateToken while that grace period lasts — with
 * its owner, organisation and parent, in one round trip (every admin call
 * starts here). Undefined for an unknown or deleted token.
 */
export async function findCredential(db: Kysely<Database>, digest: Buffer, now: Date): Promise<Credential | undefined> {
  const row = await db
    .selectFrom("token")
    .innerJoin("principal as owner", "owner.id", "token.owner_id")
    .innerJoin("organisation", "organisation.id", "owner.organisation_id")
    .leftJoin("token as parent", (join) => join.onRef("parent.id", "=", "token.parent_token_id").on("parent.deleted_at", "is", null))
    .leftJoin("group as owner_group", "owner_group.id", "owner.group_id")
    .selectAll("token")
    .select([
      "owner.organisation_id as owner_organisation_id", "owner.group_id as owner_group", "owner.role as owner_role",
      "owner.permissions as owner_permissions", "owner.disabled_at as owner_disabled_at",
      "organisation.api_tokens_enabled as organisation_api_tokens_enabled",
      "parent.id as parent_id", "parent.revoked_at as parent_revoked_at", "parent.disabled_at as parent_disabled_at", "parent.expires_at as parent_expires_at",
      "parent.created_at as parent_created_at",
      // greatest() ignores nulls: null only when none of the three has a cut-off.
      sql<Date | null>`greatest(owner.tokens_not_before, owner_group.tokens_not_before, organisation.tokens_not_before)`.as("tokens_not_before_cutoff"),
    ])
    .where("token.deleted_at", "is", null)
    .where((eb) =>
      eb.or([
        eb("token.digest", "=", digest),
        eb.and([eb("token.previous_digest", "=", digest), eb("token.previous_digest_expires_at", ">", now)]),
      ]),
    )
    .executeTakeFirst();
  if (!row) return undefined;
  const {
    owner_organisation_id, owner_group, owner_role, owner_permissions, owner_disabled_at, organisation_api_tokens_enabled,
    parent_id, parent_revoked_at, parent_disabled_at, parent_expires_at, parent_created_at, tokens_not_before_cutoff, ...token
  } = row;
  return {
    token,
    owner: { id: token.owner_id, organisation_id: owner_organisation_id, group_id: owner_group, role: owner_role, permissions: owner_permissions, disabled_at: owner_disabled_at },
    organisationApiTokensEnabled: organisation_api_tokens_enabled,
    parent: parent_id === null ? undefined : { revoked_at: parent_revoked_at, disabled_at: parent_disabled_at, expires_at: parent_expires_at, created_at: parent_created_at! },
    tokensNotBefore: tokens_not_before_cutoff === null ? null : new Date(tokens_not_before_cutoff),
  };
}

export type TokenStatusFilter = "active" | "disabled" | "revoked" | "expired";

/** What ListTokens narrows by; every field optional. */
export interface TokenFilter {
  organisationId?: string | undefined;
  /** The group the token's owner is in now. */
  ownerGroupId?: string | undefined;
  ownerId?: string | undefined;
  level?: TokenLevelName | undefined;
  kind?: TokenKindColumn | undefined;
  status?: TokenStatusFilter | undefined;
  createdBy?: string | undefined;
  nameContains?: string | undefined;
  expiresBefore?: Date | undefined;
  /** True: honeytokens only; false or unset: ordinary tokens only (honeytokens are listed apart). */
  honeytokens?: boolean | undefined;
}

/**
 * A page of tokens, newest first; ties broken by id so the order is stable.
 * Every filter reaches its rows through an index in this order (migration
 * 2026-12-01), so a page reads about its own rows at any depth.
 */
export function listTokens(db: Kysely<Database>, filter: TokenFilter, after: PageAfter | undefined, limit: number, now: Date): Promise<TokenRow[]> {
  let query = db.selectFrom("token").selectAll("token").where("token.deleted_at", "is", null);
  if (filter.organisationId) query = query.where("token.organisation_id", "=", filter.organisationId);
  if (filter.ownerGroupId) query = query.where("token.owner_group_id", "=", filter.ownerGroupId);
  if (filter.ownerId) query = query.where("token.owner_id", "=", filter.ownerId);
  if (filter.level) query = query.where("token.level", "=", filter.level);
  if (filter.kind) query = query.where("token.kind", "=", filter.kind);
  if (filter.createdBy) query = query.where("token.created_by", "=", filter.createdBy);
  if (filter.nameContains) {
    // Escape LIKE's wildcards so the search is a plain substring.
    const escaped = filter.nameContains.replace(/[\\%_]/g, (c) => `\\${c}`);
    query = query.where("token.name", "ilike", `%${escaped}%`);
  }
  if (filter.expiresBefore) query = query.where("token.expires_at", "<", filter.expiresBefore);
  query = query.where("token.honeytoken", "=", filter.honeytokens === true);
  switch (filter.status) {
    case "active":
      query = query
        .where("token.revoked_at", "is", null)
        .where("token.disabled_at", "is", null)
        .where((eb) => eb.or([eb("token.expires_at", "is", null), eb("token.expires_at", ">", now)]));
      break;
    case "disabled":
      query = query.where("token.revoked_at", "is", null).where("token.disabled_at", "is not", null);
      break;
    case "revoked":
      query = query.where("token.revoked_at", "is not", null);
      break;
    case "expired":
      query = query
        .where("token.revoked_at", "is", null)
        .where("token.disabled_at", "is", null)
        .where("token.expires_at", "<=", now);
      break;
    case undefined:
      break;
  }
  if (after) query = query.where(comesAfter("token", after));
  return query.orderBy("token.created_at", "desc").orderBy("token.id", "desc").limit(limit).execute();
}

/** One token's latest use, as validators report it. */
export interface TokenUse {
  tokenId: string;
  usedAt: Date;
  source: string;
}

/**
 * Records last-use times in one statement, keeping whichever is newer: reports
 * from several validators may arrive in any order. Touches nothing validators hold.
 */
export async function recordTokenUses(db: Kysely<Database>, uses: readonly TokenUse[]): Promise<void> {
  if (uses.length === 0) return;
  await sql`
    update token set last_used_at = u.used_at, last_used_source = u.source
    from (select unnest(${uses.map((u) => u.tokenId)}::uuid[]) as id,
                 unnest(${uses.map((u) => u.usedAt.toISOString())}::timestamptz[]) as used_at,
                 unnest(${uses.map((u) => u.source)}::text[]) as source) as u
    where token.id = u.id and (token.last_used_at is null or token.last_used_at < u.used_at)`.execute(db);
}

/** Names by id in one query, deleted tokens included (the audit log outlives them). */
export async function findTokenNames(db: Kysely<Database>, ids: readonly string[]): Promise<Map<string, string>> {
  if (ids.length === 0) return new Map();
  const rows = await db.selectFrom("token").select(["id", "name"]).where("id", "in", ids).execute();
  return new Map(rows.map((row) => [row.id, row.name]));
}
