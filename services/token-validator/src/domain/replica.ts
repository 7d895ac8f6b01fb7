import {
  TokenState,
  type ChangeRecord,
  type GroupRecord,
  type OrganisationRecord,
  type PrincipalRecord,
  type TokenRecord,
} from "@tessera/shared/gen/tessera/feed/v1/feed_pb";
import { TokenKind, type TokenLevel } from "@tessera/shared/gen/tessera/v1/token_pb";
import { allScopes } from "@tessera/shared/token/scope";
import { flagLayout, replicaEpochSeconds, toReplicaSeconds, tokenFlags } from "@tessera/shared/snapshot/packed-token-layout";
import { DigestMap } from "./digest-map.js";
import { PackedTokenReader } from "./packed-token-reader.js";

export { replicaEpochSeconds, toReplicaSeconds, toUnixSeconds, tokenFlags } from "@tessera/shared/snapshot/packed-token-layout";

// The replica holds every live token of the instance, so each entry is laid out
// for memory (bench/replica-memory.ts measures it): one map keyed by digest,
// shared strings and scope lists, small integers rather than boxed doubles, and
// the rarely used fields in a side object.

const { stateMask, kindShift, levelShift, adminBit, parentBit, honeytokenBit } = flagLayout;

/** Rarely set: after a RegenerateToken, and on exchanged tokens. */
export interface TokenExtra {
  /** The value a RegenerateToken replaced, accepted until previousExpiresAt. */
  readonly previousDigestKey: string;
  /** Replica seconds. */
  readonly previousExpiresAt: number;
  /** Exchanged tokens: the parent's entry, updated in place, so the child sees its fate. */
  readonly parent: TokenEntry | undefined;
}

/** What the validator holds of one token. Mutated in place when its record changes. */
export class TokenEntry {
  /** Digest as a latin1 string: the map key. */
  digestKey = "";
  ownerId = "";
  organisationId = "";
  groupId = "";
  scopes: readonly string[] = [];
  /** Replica seconds; 0: never. */
  expiresAt = 0;
  /** Replica seconds (introspection's `iat`); 0 if unknown. */
  createdAt = 0;
  flags = 0;
  extra: TokenExtra | undefined = undefined;

  constructor(readonly id: string) {}

  get state(): TokenState {
    return this.flags & stateMask;
  }
  get kind(): TokenKind {
    return (this.flags >> kindShift) & 0b11;
  }
  get level(): TokenLevel {
    return (this.flags >> levelShift) & 0b11;
  }
  get admin(): boolean {
    return (this.flags & adminBit) !== 0;
  }
  /** An exchanged token: it lives only while its parent does (a missing parent counts as revoked). */
  get hasParent(): boolean {
    return (this.flags & parentBit) !== 0;
  }
  /** A decoy: every surface refuses it as an unknown value, and its presentation is reported. */
  get honeytoken(): boolean {
    return (this.flags & honeytokenBit) !== 0;
  }
}

/**
 * A group's facts: one shared object per group, updated in place, so each
 * principal points at its group's cut-off without a lookup per decision.
 */
export interface GroupEntry {
  /** Replica seconds; tokens of its principals created before are refused. 0: none. */
  tokensNotBefore: number;
}

export interface PrincipalEntry {
  organisationId: string;
  /** undefined: holds every scope (the built-in admin). */
  permissions: ReadonlySet<string> | undefined;
  disabled: boolean;
  /** Replica seconds; its tokens created before are refused (incident response). 0: none. */
  tokensNotBefore: number;
  /** Its group's entry, shared; undefined when it is in none. */
  group: GroupEntry | undefined;
}

export interface OrganisationEntry {
  apiTokensEnabled: boolean;
  /** Replica seconds; the organisation's tokens created before are refused. 0: none. */
  tokensNotBefore: number;
}

/**
 * A cut-off in replica seconds, rounded up: a token created in the same second
 * as the instant counts as created before it (refusing a second too many rather
 * than accepting a token the incident meant to stop).
 */
export function cutoffSeconds(unixMs: bigint): number {
  return unixMs === 0n ? 0 : Math.ceil(Number(unixMs) / 1000) - replicaEpochSeconds;
}

const noKey = "";

/** What a sweep found an entry to be: a live token, a dead one kept for now, a regenerated value's alias, or dropped. */
export type SweepOutcome = "live" | "retained" | "alias" | "dropped";
const keyOf = (digest: Uint8Array) => (digest.length === 0 ? noKey : Buffer.from(digest.buffer, digest.byteOffset, digest.byteLength).toString("latin1"));

/**
 * Interns strings through `pool`, remembering the last one: consecutive tokens
 * mostly share an organisation, group or owner, and comparing is cheaper than hashing.
 */
function interner(pool: Map<string, string>): (value: string) => string {
  let last = "";
  return (value) => {
    if (value === last || value === "") return value === "" ? value : last;
    let shared = pool.get(value);
    if (shared === undefined) {
      shared = value;
      pool.set(value, value);
    }
    last = shared;
    return shared;
  };
}

/**
 * A token's state as the replica takes it in: what a feed record says, or what
 * a snapshot row says directly (a million of those must load in seconds, so
 * they skip building messages). Digests are latin1 strings, "" for none;
 * times are replica seconds, 0 for none.
 */
export interface TokenFacts {
  readonly id: string;
  readonly digestKey: string;
  /** The digest a RegenerateToken replaced: how the entry is found after one. */
  readonly previousDigestKey: string;
  readonly previousExpiresAt: number;
  /** State, kind, level, admin and has-a-parent, packed as tokenFlags() packs them. */
  readonly flags: number;
  /** The parent's current digest, when known: links an exchanged token to its parent. */
  readonly parentDigestKey: string;
  readonly ownerId: string;
  readonly organisationId: string;
  readonly groupId: string;
  readonly scopes: readonly string[];
  readonly expiresAt: number;
  readonly createdAt: number;
}

const replicaSecondsOf = (unixMs: bigint) => (unixMs === 0n ? 0 : toReplicaSeconds(Number(unixMs)));

/** What a feed record says of a token, as facts. */
export function tokenFactsFromRecord(record: TokenRecord): TokenFacts {
  return {
    id: record.id,
    digestKey: keyOf(record.digest),
    previousDigestKey: keyOf(record.previousDigest),
    previousExpiresAt: replicaSecondsOf(record.previousDigestExpiresAtMs),
    flags: tokenFlags(record.state, record.kind, record.level, record.admin, record.parentTokenId !== "", record.honeytoken),
    parentDigestKey: keyOf(record.parentDigest),
    ownerId: record.ownerId,
    organisationId: record.organisationId,
    groupId: record.groupId,
    scopes: record.scopes,
    expiresAt: replicaSecondsOf(record.expiresAtMs),
    createdAt: replicaSecondsOf(record.createdAtMs),
  };
}

/**
 * The in-memory copy of everything a decision needs. It knows nothing of where
 * records come from: the feed follower applies them strictly in seq order.
 */
export class Replica {
  /** Every live token by its digest, and by its previous digest while a regeneration's grace lasts. */
  readonly byDigest = new DigestMap<TokenEntry>();
  readonly principals = new Map<string, PrincipalEntry>();
  readonly organisations = new Map<string, OrganisationEntry>();
  /** Groups principals belong to, each entry shared by its principals. */
  readonly groups = new Map<string, GroupEntry>();
  /** The feed position everything held reflects. */
  appliedSeq = 0n;
  /** Tokens held, live and retained (aliases not counted). */
  tokenCount = 0;
  /** Of those, dead ones kept so callers still hear why (revoked, expired), as the last complete sweep counted them. */
  retainedCount = 0;
  /**
   * When a sweep first saw a token dead that carries no time of its own (revoked,
   * or its parent dead), in replica seconds. Weak: an entry dropped is forgotten with it.
   */
  private readonly deadSince = new WeakMap<TokenEntry, number>();
  // Many tokens share a scope list and an owner, organisation or group id: one copy each.
  private readonly scopeLists = new Map<string, readonly string[]>();
  /** The lists scopeList() handed out: facts carrying one need no joining to intern. */
  private readonly sharedScopeLists = new WeakSet<readonly string[]>();
  private readonly strings = new Map<string, string>();
  private readonly internOwner = interner(this.strings);
  private readonly internOrganisation = interner(this.strings);
  private readonly internGroup = interner(this.strings);

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
      case "group":
        return this.applyGroup(record.record.value);
      case undefined:
        return;
    }
  }

  /** Every live token once (not its aliases). O(n): for tests, tools and metrics, never the hot path. */
  *tokens(): IterableIterator<TokenEntry> {
    for (const [key, entry] of this.byDigest) if (key === entry.digestKey) yield entry;
  }

  /** A token by id. O(n): for tests and tools, never the hot path. */
  findToken(id: string): TokenEntry | undefined {
    for (const entry of this.tokens()) if (entry.id === id) return entry;
    return undefined;
  }

  /** The shared list for scopes written as one space-separated text (as a snapshot carries them). */
  scopeList(text: string): readonly string[] {
    let shared = this.scopeLists.get(text);
    if (!shared) {
      shared = Object.freeze(text === "" ? [] : text.split(" "));
      this.scopeLists.set(text, shared);
      this.sharedScopeLists.add(shared);
    }
    return shared;
  }

  private internScopes(scopes: readonly string[]): readonly string[] {
    return this.sharedScopeLists.has(scopes) ? scopes : this.scopeList(scopes.join(" "));
  }

  private applyToken(record: TokenRecord): void {
    this.applyTokenFacts(tokenFactsFromRecord(record));
  }

  /** Applies one token's current state: creates, updates (rekeying after a regeneration) or drops its entry. */
  applyTokenFacts(facts: TokenFacts): void {
    const key = facts.digestKey;
    const previousKey = facts.previousDigestKey;
    // The entry is found by the digest it has, or — after a RegenerateToken — by
    // the one it had, which the record always carries.
    const entry = this.byDigest.get(key) ?? (previousKey === noKey ? undefined : this.byDigest.get(previousKey));
    if (entry) {
      this.byDigest.delete(entry.digestKey);
      if (entry.extra && entry.extra.previousDigestKey !== noKey) this.byDigest.delete(entry.extra.previousDigestKey);
    }
    if ((facts.flags & stateMask) === TokenState.DELETED) {
      if (entry) {
        // Children still pointing here see the state and refuse.
        entry.flags = (entry.flags & ~stateMask) | TokenState.DELETED;
        this.tokenCount--;
      }
      return;
    }
    const token = entry ?? new TokenEntry(facts.id);
    if (!entry) this.tokenCount++;
    this.hold(token, facts);
  }

  /**
   * A token from a snapshot. A snapshot holds each live token once and is read
   * into a fresh replica, so there is no entry to look for first: at a million
   * tokens, the lookups that always miss would be a fifth of the load.
   */
  addSnapshotToken(facts: TokenFacts): void {
    this.tokenCount++;
    this.hold(new TokenEntry(facts.id), facts);
  }

  /** Tokens from a snapshot chunk in the packed layout (see addSnapshotToken); returns how many. */
  addPackedTokens(packed: Uint8Array): number {
    const reader = new PackedTokenReader(packed, (text) => this.scopeList(text));
    let count = 0;
    for (; reader.next(); count++) this.addSnapshotToken(reader.facts);
    return count;
  }

  /** Sets a live token's entry from its facts and files it under its digests. */
  private hold(token: TokenEntry, facts: TokenFacts): void {
    const previousKey = facts.previousDigestKey;
    // Facts without the parent's digest (a later change to the child) keep the link the entry had.
    const parent = facts.parentDigestKey === noKey ? token.extra?.parent : this.byDigest.get(facts.parentDigestKey);
    token.digestKey = facts.digestKey;
    token.ownerId = this.internOwner(facts.ownerId);
    token.organisationId = this.internOrganisation(facts.organisationId);
    token.groupId = this.internGroup(facts.groupId);
    token.scopes = this.internScopes(facts.scopes);
    token.expiresAt = facts.expiresAt;
    token.createdAt = facts.createdAt;
    token.flags = facts.flags;
    token.extra = previousKey !== noKey || parent !== undefined ? { previousDigestKey: previousKey, previousExpiresAt: facts.previousExpiresAt, parent } : undefined;
    this.byDigest.set(facts.digestKey, token);
    if (previousKey !== noKey) this.byDigest.set(previousKey, token);
  }

  private applyPrincipal(record: PrincipalRecord): void {
    // A disabled owner answers exactly as a missing one (OWNER_DISABLED), and the
    // record of an enabling carries the principal whole: holding it buys nothing.
    if (record.deleted || record.disabled) {
      this.principals.delete(record.id);
      return;
    }
    this.principals.set(record.id, {
      organisationId: record.organisationId,
      permissions: record.permissions.includes(allScopes) ? undefined : new Set(record.permissions),
      disabled: record.disabled,
      tokensNotBefore: cutoffSeconds(record.tokensNotBeforeMs),
      group: record.groupId === "" ? undefined : this.groupEntry(record.groupId),
    });
  }

  /**
   * Sweeps one map entry (the pruner walks the map with these): drops a token
   * dead since before `cutoff`, or a regenerated value whose grace ended before
   * it; a dead session at once (no surface ever answers for one). Returns what
   * the entry is now. Times are replica seconds.
   */
  sweepEntry(key: string, token: TokenEntry, now: number, cutoff: number): SweepOutcome {
    if (key !== token.digestKey) {
      // The value a RegenerateToken replaced: REVOKED past its grace, then, after the retention, not held.
      const extra = token.extra;
      if (!extra || extra.previousDigestKey !== key || extra.previousExpiresAt > cutoff) return "alias";
      this.byDigest.delete(key);
      token.extra = extra.parent ? { previousDigestKey: noKey, previousExpiresAt: 0, parent: extra.parent } : undefined;
      return "dropped";
    }
    const diedAt = this.diedAt(token, now);
    if (diedAt === undefined) return "live";
    if (diedAt > cutoff && token.kind !== TokenKind.SESSION) return "retained";
    this.byDigest.delete(key);
    if (token.extra && token.extra.previousDigestKey !== noKey) this.byDigest.delete(token.extra.previousDigestKey);
    this.tokenCount--;
    return "dropped";
  }

  /** When `token` died for good (replica seconds), or undefined while it may still be valid (disabled is reversible). */
  private diedAt(token: TokenEntry, now: number): number | undefined {
    const expiredAt = token.expiresAt !== 0 && token.expiresAt <= now ? token.expiresAt : undefined;
    if (expiredAt !== undefined) return expiredAt;
    const state = token.state;
    let dead = state === TokenState.REVOKED || state === TokenState.DELETED;
    if (!dead && token.hasParent) {
      const parent = token.extra?.parent;
      if (!parent) dead = true;
      else {
        const parentExpiredAt = parent.expiresAt !== 0 && parent.expiresAt <= now ? parent.expiresAt : undefined;
        if (parentExpiredAt !== undefined) return parentExpiredAt;
        dead = parent.state === TokenState.REVOKED || parent.state === TokenState.DELETED;
      }
    }
    if (!dead) return undefined;
    let since = this.deadSince.get(token);
    if (since === undefined) this.deadSince.set(token, (since = now));
    return since;
  }

  /**
   * After a complete sweep: lets go of shared strings and scope lists no entry
   * it kept uses (one made meanwhile may go too: the next token needing it makes it again).
   */
  shrinkCaches(keptStrings: ReadonlySet<string>, keptScopeLists: ReadonlySet<readonly string[]>): void {
    for (const value of this.strings.keys()) if (!keptStrings.has(value)) this.strings.delete(value);
    for (const [text, list] of this.scopeLists) if (!keptScopeLists.has(list)) this.scopeLists.delete(text);
  }

  /** Shared strings and scope lists held: for tests and metrics. */
  get cacheSizes(): { strings: number; scopeLists: number } {
    return { strings: this.strings.size, scopeLists: this.scopeLists.size };
  }

  private applyOrganisation(record: OrganisationRecord): void {
    this.organisations.set(record.id, { apiTokensEnabled: record.apiTokensEnabled, tokensNotBefore: cutoffSeconds(record.tokensNotBeforeMs) });
  }

  /** In place: every principal of the group holds this entry already. */
  private applyGroup(record: GroupRecord): void {
    this.groupEntry(record.id).tokensNotBefore = cutoffSeconds(record.tokensNotBeforeMs);
  }

  /** The group's shared entry, made on first mention (a principal may arrive before its group's record). */
  private groupEntry(id: string): GroupEntry {
    let entry = this.groups.get(id);
    if (!entry) {
      entry = { tokensNotBefore: 0 };
      this.groups.set(id, entry);
    }
    return entry;
  }
}
