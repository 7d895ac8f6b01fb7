import {
  TokenState,
  type ChangeRecord,
  type GroupRecord,
  type OrganisationRecord,
  type PrincipalRecord,
  type TokenRecord,
} from "@tessera/shared/gen/tessera/feed/v1/feed_pb";
import { TokenKind, type TokenLevel } from "@tessera/shared/gen/tessera/v1/token_pb";
import { emptyPackedTokenFields, flagLayout, packedToken, readPackedTokenFields, replicaEpochSeconds, toReplicaSeconds } from "@tessera/shared/snapshot/packed-token-layout";
import { profileEntryLength, profileEntryScopes, profiledToken } from "@tessera/shared/snapshot/profiled-token-layout";
import { allScopes } from "@tessera/shared/token/scope";
import { SharedValues } from "./shared-values.js";
import { TokenProfiles, type TokenHolder } from "./token-profiles.js";
import { readWords, TokenTable, type DigestWords, type Words } from "./token-table.js";
import { formatUuid, parseUuid } from "./uuid-words.js";

export { replicaEpochSeconds, toReplicaSeconds, toUnixSeconds, tokenFlags } from "@tessera/shared/snapshot/packed-token-layout";

// The replica holds every live token of the instance (or of the organisations
// it serves), so tokens live in a table of typed-array columns (token-table.ts),
// owners and scope sets once each in interned tables, and the rarely set facts
// (a regenerated token's previous value, an exchanged token's parent) in a side map.

const { stateMask, kindShift, levelShift, adminBit, parentBit, honeytokenBit } = flagLayout;
/** Set on every held slot's stored flags, so a held token's flags are never 0 (a free slot's). */
const heldBit = 1 << 15;

/** Rarely set: after a RegenerateToken, and on exchanged tokens. */
interface TokenExtra {
  /** Replica seconds: the value a RegenerateToken replaced is accepted until then; 0: no such value. */
  previousExpiresAt: number;
  /** The parent's slot, or -1; valid only while that slot still holds the parent's id. */
  readonly parentSlot: number;
  readonly parentId: DigestWords | undefined;
}

/**
 * One token as a decision sees it: a view onto its slot, made per lookup and
 * read at once (a slot is reused once its token is dropped, so a view is not kept).
 */
export class TokenEntry {
  /** State, kind, level, admin, has a parent, honeytoken: tokenFlags(). */
  readonly flags: number;
  /** Replica seconds; 0: never. */
  readonly expiresAt: number;
  /** Replica seconds (introspection's `iat`); 0 if unknown. */
  readonly createdAt: number;
  private readonly holder: TokenHolder;
  readonly scopes: readonly string[];
  private idText: string | undefined = undefined;

  constructor(
    private readonly replica: Replica,
    readonly slot: number,
    /** Found by the value a RegenerateToken replaced (in or past its grace period). */
    readonly previousValue = false,
  ) {
    // The row is read once: a decision reads most of it, and a view is read at once.
    const table = replica.table;
    this.flags = table.flags(slot) & ~heldBit;
    this.expiresAt = table.expiresAt(slot);
    this.createdAt = table.createdAt(slot);
    const profile = table.profile(slot);
    this.holder = replica.profiles.holder(profile);
    this.scopes = replica.profiles.scopes(profile);
  }

  get id(): string {
    return (this.idText ??= this.replica.tokenId(this.slot));
  }
  get ownerId(): string {
    return this.holder.ownerId;
  }
  get organisationId(): string {
    return this.holder.organisationId;
  }
  get groupId(): string {
    return this.holder.groupId;
  }
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
  /** Replica seconds until which the value a RegenerateToken replaced is accepted; 0: there is none. */
  get previousExpiresAt(): number {
    return this.replica.extraOf(this.slot)?.previousExpiresAt ?? 0;
  }
  /** An exchanged token's parent, while it is held. */
  get parent(): TokenEntry | undefined {
    return this.replica.parentOf(this.slot);
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


/**
 * A token's state as the replica takes it from a feed record. Digests are
 * bytes (empty: none); times are replica seconds, 0 for none.
 */
export interface TokenFacts {
  /** A uuid. */
  readonly id: string;
  readonly digest: Uint8Array;
  /** The digest a RegenerateToken replaced: how the entry is found after one. */
  readonly previousDigest: Uint8Array;
  readonly previousExpiresAt: number;
  /** State, kind, level, admin, has-a-parent and honeytoken, packed as tokenFlags() packs them. */
  readonly flags: number;
  /** The parent's current digest, when known: links an exchanged token to its parent. */
  readonly parentDigest: Uint8Array;
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
    digest: record.digest,
    previousDigest: record.previousDigest,
    previousExpiresAt: replicaSecondsOf(record.previousDigestExpiresAtMs),
    flags:
      record.state |
      (record.kind << kindShift) |
      (record.level << levelShift) |
      (record.admin ? adminBit : 0) |
      (record.parentTokenId !== "" ? parentBit : 0) |
      (record.honeytoken ? honeytokenBit : 0),
    parentDigest: record.parentDigest,
    ownerId: record.ownerId,
    organisationId: record.organisationId,
    groupId: record.groupId,
    scopes: record.scopes,
    expiresAt: replicaSecondsOf(record.expiresAtMs),
    createdAt: replicaSecondsOf(record.createdAtMs),
  };
}

/** What a sweep counted. */
export interface SweepCounts {
  live: number;
  retained: number;
  dropped: number;
}

/** Whether two snapshot rows of one chunk name the same three ids and the same scopes. */
function sameProfileBytes(bytes: Uint8Array, a: number, aScopes: number, b: number, bScopes: number, scopesLength: number): boolean {
  for (let i = packedToken.ownerId; i < packedToken.groupId + packedToken.uuidBytes; i++) if (bytes[a + i] !== bytes[b + i]) return false;
  if (((bytes[aScopes - 2]! << 8) | bytes[aScopes - 1]!) !== scopesLength) return false;
  for (let i = 0; i < scopesLength; i++) if (bytes[aScopes + i] !== bytes[bScopes + i]) return false;
  return true;
}

/** Lines of the id cache (a power of two). */
const idCacheLines = 4096;
const { digestBytes, uuidBytes } = packedToken;

/**
 * The in-memory copy of everything a decision needs. It knows nothing of where
 * records come from: the feed follower applies them strictly in seq order.
 */
export class Replica {
  /** Every held token's slot, found by its digest or a regenerated token's previous one. */
  readonly table = new TokenTable();
  /** What tokens share: holders, scope sets, and the profiles a token's row names. */
  readonly profiles = new TokenProfiles();
  readonly principals = new Map<string, PrincipalEntry>();
  readonly organisations = new Map<string, OrganisationEntry>();
  /** Groups principals belong to, each entry shared by its principals. */
  readonly groups = new Map<string, GroupEntry>();
  /** The feed position everything held reflects. */
  appliedSeq = 0n;
  /** Tokens held, live and retained. */
  tokenCount = 0;
  /** Of those, dead ones kept so callers still hear why (revoked, expired), as the last complete sweep counted them. */
  retainedCount = 0;
  /**
   * Principals share a few permission sets and organisation ids: one object
   * each rather than one per principal (10,000 principals held 3 MB of sets
   * alone, and a snapshot's load paid for them again in young-generation GC).
   */
  private readonly permissionSets = new SharedValues<ReadonlySet<string>>();
  private readonly organisationIds = new SharedValues<string>();
  private readonly extras = new Map<number, TokenExtra>();
  /** When a sweep first saw a token dead that carries no time of its own (revoked, or its parent dead), in replica seconds. */
  private readonly deadSince = new Map<number, number>();
  private readonly words: Words = [0, 0, 0, 0];
  /** Ids made into text lately, one per line (slot mod the lines): answers carry them, and a few tokens carry most answers. */
  private readonly idCache: (string | undefined)[] = new Array<string | undefined>(idCacheLines).fill(undefined);
  private readonly idCacheSlots = new Int32Array(idCacheLines).fill(-1);

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

  /**
   * The token a value's digest finds (by its current value, or a regenerated
   * token's previous one), the digest as a latin1 string: DigestKeyer's form,
   * so the request path makes no Buffer.
   */
  findByKey(key: string): TokenEntry | undefined {
    const found = this.table.findKey(key);
    return found < 0 ? undefined : new TokenEntry(this, found >>> 1, (found & 1) === 1);
  }

  /** The token in `slot`, if one is held there (a slot is reused: callers check its id). */
  held(slot: number, previousValue = false): TokenEntry | undefined {
    return slot < this.table.slotLimit && this.table.inUse(slot) ? new TokenEntry(this, slot, previousValue) : undefined;
  }

  /** Every held token once. O(n): for tests, tools and metrics, never the hot path. */
  *tokens(): IterableIterator<TokenEntry> {
    for (let slot = 0; slot < this.table.slotLimit; slot++) if (this.table.inUse(slot)) yield new TokenEntry(this, slot);
  }

  /** A token by id. O(n): for tests and tools, never the hot path. */
  findToken(id: string): TokenEntry | undefined {
    const words = readWords(parseUuid(id), 0, [0, 0, 0, 0]);
    for (let slot = 0; slot < this.table.slotLimit; slot++) if (this.table.inUse(slot) && this.table.idEquals(slot, words)) return new TokenEntry(this, slot);
    return undefined;
  }

  /** Every digest prefix a value can match (hex), with the id of the token it finds: for tests and tools. */
  *digests(): IterableIterator<[string, string]> {
    const hex = (words: readonly number[]) => Buffer.from(new Uint32Array(words).buffer).toString("hex");
    for (const token of this.tokens()) {
      yield [hex(this.table.digestWords(token.slot, [0, 0, 0, 0])), token.id];
      const alias = this.table.alias(token.slot);
      if (alias) yield [hex(alias), token.id];
    }
  }

  /** The token's id as text: made from its bytes, kept for the tokens answered most. */
  tokenId(slot: number): string {
    const line = slot & (idCacheLines - 1);
    if (this.idCacheSlots[line] === slot) return this.idCache[line]!;
    const id = formatUuid(this.table.idWords(slot, this.words));
    this.idCacheSlots[line] = slot;
    this.idCache[line] = id;
    return id;
  }

  extraOf(slot: number): TokenExtra | undefined {
    return this.extras.get(slot);
  }

  /** An exchanged token's parent, if its slot still holds it. */
  parentOf(slot: number): TokenEntry | undefined {
    const extra = this.extras.get(slot);
    if (!extra || extra.parentSlot < 0 || !this.table.inUse(extra.parentSlot) || !this.table.idEquals(extra.parentSlot, extra.parentId!)) return undefined;
    return new TokenEntry(this, extra.parentSlot);
  }

  private applyToken(record: TokenRecord): void {
    this.applyTokenFacts(tokenFactsFromRecord(record));
  }

  /** Applies one token's current state: creates, updates (rekeying after a regeneration) or drops its entry. */
  applyTokenFacts(facts: TokenFacts): void {
    // The entry is found by the digest it has, or — after a RegenerateToken — by
    // the one it had, which the record always carries.
    let found = facts.digest.length === 0 ? -1 : this.table.find(facts.digest);
    if (found < 0 && facts.previousDigest.length > 0) found = this.table.find(facts.previousDigest);
    const held = found >= 0 ? found >>> 1 : -1;
    if ((facts.flags & stateMask) === TokenState.DELETED) {
      // Children still pointing here find their parent gone, and refuse.
      if (held >= 0) this.drop(held);
      return;
    }
    let slot = held;
    if (slot < 0) {
      slot = this.table.allocate();
      this.tokenCount++;
    } else {
      this.profiles.release(this.table.profile(slot));
    }
    const idBytes = parseUuid(facts.id);
    this.table.setId(slot, idBytes, 0);
    this.table.setDigest(slot, facts.digest, 0);
    this.table.setFacts(slot, this.profiles.acquire(facts.ownerId, facts.organisationId, facts.groupId, facts.scopes), facts.expiresAt, facts.createdAt);
    this.table.setFlags(slot, facts.flags | heldBit);
    // Facts without the parent's digest (a later change to the child) keep the link the slot had.
    const kept = this.extras.get(slot);
    const parent = facts.parentDigest.length > 0 ? this.parentLink(facts.parentDigest, 0) : kept && kept.parentSlot >= 0 ? kept : undefined;
    this.setExtra(slot, facts.previousDigest.length > 0 ? facts.previousDigest : undefined, 0, facts.previousExpiresAt, parent);
  }

  /** Sizes the token index for a snapshot of about `tokens` tokens, before it is added (a hint: too few only costs growing). */
  reserve(tokens: number): void {
    this.table.reserve(tokens);
  }

  /**
   * Tokens from a snapshot chunk in the packed layout
   * (@tessera/shared/snapshot/packed-token-layout), straight into the table: a
   * snapshot holds each token once and is read into a fresh replica, so there is
   * no entry to look for first. Returns how many.
   */
  private readonly packedFields = emptyPackedTokenFields();

  addPackedTokens(packed: Uint8Array): number {
    const bytes = Buffer.from(packed.buffer, packed.byteOffset, packed.byteLength);
    const table = this.table;
    let count = 0;
    let lastProfile = -1;
    let lastAt = -1;
    let lastScopesAt = -1;
    const fields = this.packedFields;
    for (let at = 0; at < bytes.length; count++) {
      const slot = table.allocate();
      table.setId(slot, bytes, at + packedToken.id);
      table.setDigest(slot, bytes, at + packedToken.digest);
      const { previousAt, previousLength, parentAt, parentLength, scopesAt, scopesLength } = readPackedTokenFields(bytes, at, fields);
      // Consecutive rows often share a holder and scopes: compared in place, no lookup.
      let profile: number;
      if (lastAt >= 0 && sameProfileBytes(bytes, lastAt, lastScopesAt, at, scopesAt, scopesLength)) {
        profile = lastProfile;
        this.profiles.retain(profile);
      } else {
        profile = this.profiles.acquireFromSnapshot(bytes, at + packedToken.ownerId, scopesAt, scopesLength);
        lastProfile = profile;
      }
      lastAt = at;
      lastScopesAt = scopesAt;
      table.setFacts(slot, profile, bytes.readInt32BE(at + packedToken.expiresAt), bytes.readInt32BE(at + packedToken.createdAt));
      table.setFlags(slot, bytes.readUInt16BE(at + packedToken.flags) | heldBit);
      if (previousLength === digestBytes || parentLength === digestBytes) {
        const parent = parentLength === digestBytes ? this.parentLink(bytes, parentAt) : undefined;
        this.setExtra(slot, previousLength === digestBytes ? bytes : undefined, previousAt, bytes.readInt32BE(at + packedToken.previousExpiresAt), parent);
      }
      this.tokenCount++;
      at = scopesAt + scopesLength;
    }
    return count;
  }

  /**
   * The profiles of a cached snapshot's profile entries
   * (@tessera/shared/snapshot/profiled-token-layout), each counted once for the
   * list they are in, appended to `into` (returns its length); the caller
   * gives them back with releaseProfiles() once the rows naming them are added.
   */
  acquireProfiles(entries: Uint8Array, into: number[]): number {
    const bytes = Buffer.from(entries.buffer, entries.byteOffset, entries.byteLength);
    for (let at = 0; at < bytes.length; ) {
      const length = profileEntryLength(bytes, at);
      if (length === undefined || at + length > bytes.length) throw new Error("a profiles frame ends inside an entry");
      const { scopesAt, scopesLength } = profileEntryScopes(bytes, at);
      into.push(this.profiles.acquireListed(bytes, at, scopesAt, scopesLength));
      at += length;
    }
    return into.length;
  }

  /** The snapshot is loaded: what only loading needed (the index of packed rows' profiles by their bytes) goes. */
  snapshotLoaded(): void {
    this.profiles.endSnapshot();
  }

  /** Gives back the counts acquireProfiles() took: a profile no row named goes. */
  releaseProfiles(profiles: readonly number[]): void {
    for (const profile of profiles) this.profiles.release(profile);
  }

  /**
   * Tokens from a cached snapshot's chunk of profiled rows
   * (@tessera/shared/snapshot/profiled-token-layout), each naming a profile by
   * its number in `profiles` (what acquireProfiles() gave): as addPackedTokens,
   * with no profile to find. Returns how many.
   */
  addProfiledTokens(rows: Uint8Array, profiles: readonly number[]): number {
    // Read through a DataView, big-endian by default: Buffer's readInt32BE checks its arguments on every call.
    const view = new DataView(rows.buffer, rows.byteOffset, rows.byteLength);
    const table = this.table;
    let count = 0;
    for (let at = 0; at < rows.length; count++) {
      const listed = view.getUint32(at + profiledToken.profile);
      if (listed >= profiles.length) throw new Error(`a row names profile ${listed}, not listed before it`);
      const profile = profiles[listed]!;
      const slot = table.add(view, at + profiledToken.digest, at + profiledToken.id, profile, view.getInt32(at + profiledToken.expiresAt), view.getInt32(at + profiledToken.createdAt), view.getUint16(at + profiledToken.flags) | heldBit);
      this.profiles.retain(profile);
      const previousAt = at + profiledToken.variable + 1;
      const previousLength = rows[previousAt - 1]!;
      const parentAt = previousAt + previousLength + 1;
      const parentLength = rows[parentAt - 1]!;
      if (previousLength !== 0 || parentLength !== 0) {
        const parent = parentLength !== 0 ? this.parentLink(rows, parentAt) : undefined;
        this.setExtra(slot, previousLength !== 0 ? rows : undefined, previousAt, view.getInt32(at + profiledToken.previousExpiresAt), parent);
      }
      this.tokenCount++;
      at = parentAt + parentLength;
    }
    return count;
  }

  /** A link to the parent the digest at `bytes[at]` finds (by id, so a reused slot is never mistaken for it). */
  private parentLink(bytes: Uint8Array, at: number): Pick<TokenExtra, "parentSlot" | "parentId"> {
    const found = this.table.find(bytes, at);
    if (found < 0) return { parentSlot: -1, parentId: undefined };
    const parentSlot = found >>> 1;
    return { parentSlot, parentId: this.table.idWords(parentSlot, [0, 0, 0, 0]) };
  }

  /** Sets (or clears) a slot's previous value and parent link. */
  private setExtra(slot: number, previous: Uint8Array | undefined, previousAt: number, previousExpiresAt: number, parent: Pick<TokenExtra, "parentSlot" | "parentId"> | undefined): void {
    this.table.setAlias(slot, previous ? (readWords(previous, previousAt, [0, 0, 0, 0])) : undefined);
    if (!previous && !parent) {
      this.extras.delete(slot);
      return;
    }
    this.extras.set(slot, { previousExpiresAt: previous ? previousExpiresAt : 0, parentSlot: parent?.parentSlot ?? -1, parentId: parent?.parentId });
  }

  /** Lets a token go: its slot, its shared values, what a sweep noted of it. */
  private drop(slot: number): void {
    const line = slot & (idCacheLines - 1);
    if (this.idCacheSlots[line] === slot) this.idCacheSlots[line] = -1; // the slot will hold another token
    this.profiles.release(this.table.profile(slot));
    this.extras.delete(slot);
    this.deadSince.delete(slot);
    this.table.free(slot);
    this.tokenCount--;
  }

  private applyPrincipal(record: PrincipalRecord): void {
    // A disabled owner answers exactly as a missing one (OWNER_DISABLED), and the
    // record of an enabling carries the principal whole: holding it buys nothing.
    if (record.deleted || record.disabled) {
      this.principals.delete(record.id);
      return;
    }
    this.principals.set(record.id, {
      organisationId: this.organisationIds.get(record.organisationId, () => record.organisationId),
      permissions: record.permissions.includes(allScopes) ? undefined : this.permissionSets.get(JSON.stringify(record.permissions), () => new Set(record.permissions)),
      disabled: record.disabled,
      tokensNotBefore: cutoffSeconds(record.tokensNotBeforeMs),
      group: record.groupId === "" ? undefined : this.groupEntry(record.groupId),
    });
  }

  /**
   * Sweeps one slot (the pruner walks the table with these): drops a
   * regenerated value whose grace ended before `cutoff`; a token dead since
   * before `cutoff`; a dead session at once (no surface ever answers for one).
   * Times are replica seconds.
   */
  sweepSlot(slot: number, now: number, cutoff: number, counts: SweepCounts): void {
    if (!this.table.inUse(slot)) return;
    const extra = this.extras.get(slot);
    if (extra && extra.previousExpiresAt !== 0 && extra.previousExpiresAt <= cutoff) {
      // The value a RegenerateToken replaced: REVOKED past its grace, then, after the retention, not held.
      this.table.setAlias(slot, undefined);
      if (extra.parentSlot < 0) this.extras.delete(slot);
      else extra.previousExpiresAt = 0;
      counts.dropped++;
    }
    const token = new TokenEntry(this, slot);
    const diedAt = this.diedAt(token, now);
    if (diedAt === undefined) counts.live++;
    else if (diedAt > cutoff && token.kind !== TokenKind.SESSION) counts.retained++;
    else {
      this.drop(slot);
      counts.dropped++;
    }
  }

  /** When `token` died for good (replica seconds), or undefined while it may still be valid (disabled is reversible). */
  private diedAt(token: TokenEntry, now: number): number | undefined {
    const expiresAt = token.expiresAt;
    if (expiresAt !== 0 && expiresAt <= now) return expiresAt;
    const state = token.state;
    let dead = state === TokenState.REVOKED || state === TokenState.DELETED;
    if (!dead && token.hasParent) {
      const parent = token.parent;
      if (!parent) dead = true;
      else {
        const parentExpiresAt = parent.expiresAt;
        if (parentExpiresAt !== 0 && parentExpiresAt <= now) return parentExpiresAt;
        dead = parent.state === TokenState.REVOKED || parent.state === TokenState.DELETED;
      }
    }
    if (!dead) return undefined;
    let since = this.deadSince.get(token.slot);
    if (since === undefined) this.deadSince.set(token.slot, (since = now));
    return since;
  }

  /** Shared values held: for tests and metrics. */
  get cacheSizes(): { holders: number; scopeSets: number; profiles: number } {
    return this.profiles.sizes;
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
