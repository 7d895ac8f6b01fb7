import { timestampFromMs, type Timestamp } from "@bufbuild/protobuf/wkt";
import {
  TokenState,
  type ChangeRecord,
  type OrganisationRecord,
  type PrincipalRecord,
  type TokenRecord,
} from "@tessera/shared/gen/tessera/feed/v1/feed_pb";
import type { TokenKind, TokenLevel } from "@tessera/shared/gen/tessera/v1/token_pb";
import { allScopes } from "@tessera/shared/token/scope";

/** What the validator holds of one token. Mutated in place, so children can point at parents. */
export interface TokenEntry {
  readonly id: string;
  /** Digest as a latin1 string: a compact, fast Map key. */
  digestKey: string;
  ownerId: string;
  organisationId: string;
  groupId: string;
  scopes: readonly string[];
  /** 0: never. */
  expiresAtMs: number;
  /** Cached for answers, so deciding allocates no timestamp. */
  expireTime: Timestamp | undefined;
  state: TokenState;
  admin: boolean;
  kind: TokenKind;
  level: TokenLevel;
  parentId: string;
  /** The digest before a RegenerateToken, accepted until previousExpiresAtMs. */
  previousDigestKey: string;
  previousExpiresAtMs: number;
  /** Creation time (introspection's `iat`); 0 if the feed did not say. */
  createdAtMs: number;
}

export interface PrincipalEntry {
  organisationId: string;
  /** undefined: holds every scope (the built-in admin). */
  permissions: ReadonlySet<string> | undefined;
  disabled: boolean;
}

export interface OrganisationEntry {
  apiTokensEnabled: boolean;
}

const digestKey = (digest: Uint8Array) => Buffer.from(digest.buffer, digest.byteOffset, digest.byteLength).toString("latin1");

/**
 * The in-memory copy of everything a decision needs. It knows nothing of where
 * records come from: the feed follower applies them strictly in seq order.
 */
export class Replica {
  readonly byDigest = new Map<string, TokenEntry>();
  readonly byId = new Map<string, TokenEntry>();
  readonly principals = new Map<string, PrincipalEntry>();
  readonly organisations = new Map<string, OrganisationEntry>();
  /** The feed position everything held reflects. */
  appliedSeq = 0n;
  // Many tokens carry the same scope list; one shared array each saves memory.
  private readonly scopeLists = new Map<string, readonly string[]>();

  /** Applies one event's records and moves to its seq. The caller guarantees seq order. */
  applyEvent(seq: bigint, records: readonly ChangeRecord[]): void {
    for (const record of records) this.applyRecord(record);
    this.appliedSeq = seq;
  }

  applyRecord(record: ChangeRecord): void {
    switch (record.record.case) {
      case "token":
        return this.applyToken(record.record.value);
      case "principal":
        return this.applyPrincipal(record.record.value);
      case "organisation":
        return this.applyOrganisation(record.record.value);
      case undefined:
        return;
    }
  }

  /** Empties the replica before a fresh snapshot. */
  clear(): void {
    this.byDigest.clear();
    this.byId.clear();
    this.principals.clear();
    this.organisations.clear();
    this.scopeLists.clear();
    this.appliedSeq = 0n;
  }

  private internScopes(scopes: readonly string[]): readonly string[] {
    const key = scopes.join(" ");
    let shared = this.scopeLists.get(key);
    if (!shared) {
      shared = Object.freeze([...scopes]);
      this.scopeLists.set(key, shared);
    }
    return shared;
  }

  private applyToken(record: TokenRecord): void {
    const existing = this.byId.get(record.id);
    if (existing) {
      this.byDigest.delete(existing.digestKey);
      if (existing.previousDigestKey) this.byDigest.delete(existing.previousDigestKey);
    }
    if (record.state === TokenState.DELETED) {
      // Children that still point here see the state and refuse.
      if (existing) existing.state = TokenState.DELETED;
      this.byId.delete(record.id);
      return;
    }
    const expiresAtMs = Number(record.expiresAtMs);
    const entry: TokenEntry = existing ?? ({ id: record.id } as TokenEntry);
    entry.digestKey = digestKey(record.digest);
    entry.ownerId = record.ownerId;
    entry.organisationId = record.organisationId;
    entry.groupId = record.groupId;
    entry.scopes = this.internScopes(record.scopes);
    entry.expiresAtMs = expiresAtMs;
    entry.expireTime = expiresAtMs > 0 ? timestampFromMs(expiresAtMs) : undefined;
    entry.state = record.state;
    entry.admin = record.admin;
    entry.kind = record.kind;
    entry.level = record.level;
    entry.parentId = record.parentTokenId;
    entry.previousDigestKey = record.previousDigest.length > 0 ? digestKey(record.previousDigest) : "";
    entry.previousExpiresAtMs = Number(record.previousDigestExpiresAtMs);
    entry.createdAtMs = Number(record.createdAtMs);
    this.byId.set(entry.id, entry);
    this.byDigest.set(entry.digestKey, entry);
    if (entry.previousDigestKey) this.byDigest.set(entry.previousDigestKey, entry);
  }

  private applyPrincipal(record: PrincipalRecord): void {
    if (record.deleted) {
      this.principals.delete(record.id);
      return;
    }
    this.principals.set(record.id, {
      organisationId: record.organisationId,
      permissions: record.permissions.includes(allScopes) ? undefined : new Set(record.permissions),
      disabled: record.disabled,
    });
  }

  private applyOrganisation(record: OrganisationRecord): void {
    this.organisations.set(record.id, { apiTokensEnabled: record.apiTokensEnabled });
  }
}
