import { packedToken } from "@tessera/shared/snapshot/packed-token-layout";
import { InternedPairs } from "./interned-pairs.js";
import { InternedTable } from "./interned-table.js";
import { RowProfileIndex } from "./row-profile-index.js";
import { SharedValues } from "./shared-values.js";
import { readWords } from "./token-table.js";
import { formatUuid } from "./uuid-words.js";

/** Who a token belongs to: shared by every token of the same owner, organisation and group. */
export interface TokenHolder {
  readonly ownerId: string;
  readonly organisationId: string;
  /** "" when none. */
  readonly groupId: string;
}

const splitScopes = (text: string): readonly string[] => Object.freeze(text === "" ? [] : text.split(" "));
/** Snapshot rows and profile entries hold a holder's three ids together: owner, organisation, group (all zeros for none). */
const { uuidBytes } = packedToken;
const holderIdBytes = 3 * uuidBytes;
const noGroupKey = "\0".repeat(uuidBytes);
const nilUuid = "00000000-0000-0000-0000-000000000000";
/** Marks a holder key made of text (see holderKey): no latin1 byte string holds it. */
const textKeyMark = "\u0100";
const canonicalUuid = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;
const uuidKey = (id: string) => (canonicalUuid.test(id) ? Buffer.from(id.replaceAll("-", ""), "hex").toString("latin1") : undefined);

/**
 * A holder's key: its three ids' 48 bytes as latin1 text, as snapshot rows hold
 * them (so a row finds its holder without formatting an id), when all are
 * canonical uuids; otherwise their text after textKeyMark.
 */
function holderKey(ownerId: string, organisationId: string, groupId: string): string {
  const owner = uuidKey(ownerId);
  const organisation = uuidKey(organisationId);
  // A group id of all zeros stays text: as bytes it would be "no group".
  const group = groupId === "" ? noGroupKey : groupId === nilUuid ? undefined : uuidKey(groupId);
  if (owner === undefined || organisation === undefined || group === undefined) return `${textKeyMark}${ownerId} ${organisationId} ${groupId}`;
  return owner + organisation + group;
}

/**
 * What tokens share, held once and counted: holders, scope sets, and the
 * profiles (a holder with a scope set) one column of a token's row names.
 * Each goes with the last token that used it.
 */
export class TokenProfiles {
  private readonly holders = new InternedTable<string, TokenHolder>();
  private readonly scopeSets = new InternedTable<string, readonly string[]>();
  /** A profile is what tokens of one holder with one set of scopes share (a column of a token's row names it): a pair of their numbers. */
  private readonly profiles = new InternedPairs((holder, scopeSet, profile) => {
    this.holders.release(holder);
    this.scopeSets.release(scopeSet);
    this.byRow?.delete(profile);
  });
  /**
   * Profiles by a snapshot row's bytes, while a snapshot of packed rows loads:
   * a row finds its profile in one probe, without making id or scope text.
   * Dropped once it is loaded (it holds every profile's bytes, and nothing
   * after a load looks a profile up by them).
   */
  private byRow: RowProfileIndex | undefined;
  /** Organisations' and groups' ids as text, by their 16 bytes as latin1: few, each shared by many holders. */
  private readonly sharedIds = new SharedValues<string>();

  /** Who tokens of `profile` belong to. */
  holder(profile: number): TokenHolder {
    return this.holders.get(this.profiles.first(profile));
  }

  /** The scopes tokens of `profile` carry. */
  scopes(profile: number): readonly string[] {
    return this.scopeSets.get(this.profiles.second(profile));
  }

  /** One more token uses `profile`. */
  retain(profile: number): void {
    this.profiles.retain(profile);
  }

  /** One token fewer uses `profile`. */
  release(profile: number): void {
    this.profiles.release(profile);
  }

  /** The profile of a feed record's token, counted once more. */
  acquire(ownerId: string, organisationId: string, groupId: string, scopes: readonly string[]): number {
    const holder = this.holders.acquire(holderKey(ownerId, organisationId, groupId), () => ({ ownerId, organisationId, groupId }));
    const scopesText = scopes.join(" ");
    return this.profileOf(holder, this.scopeSets.acquire(scopesText, () => splitScopes(scopesText)));
  }

  /** The profile of a packed snapshot row (its three ids at `idsAt`, its scopes at `scopesAt`), counted once more. */
  acquireFromSnapshot(bytes: Buffer, idsAt: number, scopesAt: number, scopesLength: number): number {
    const byRow = (this.byRow ??= new RowProfileIndex());
    const known = byRow.find(bytes, idsAt, scopesAt, scopesLength);
    if (known >= 0) {
      this.profiles.retain(known);
      return known;
    }
    const profile = this.acquireListed(bytes, idsAt, scopesAt, scopesLength);
    byRow.add(profile, bytes, idsAt, scopesAt, scopesLength);
    return profile;
  }

  /** The profile a cached snapshot lists once (ids at `idsAt`, scopes at `scopesAt`), counted once more: no row index, as rows name it by number. */
  acquireListed(bytes: Buffer, idsAt: number, scopesAt: number, scopesLength: number): number {
    return this.profileOf(this.holderFromBytes(bytes, idsAt), this.scopeSetFromBytes(bytes, scopesAt, scopesLength));
  }

  /** A snapshot is loaded: the index of its rows' bytes goes. */
  endSnapshot(): void {
    this.byRow = undefined;
  }

  /** Values held: for tests and metrics. */
  get sizes(): { holders: number; scopeSets: number; profiles: number } {
    return { holders: this.holders.size, scopeSets: this.scopeSets.size, profiles: this.profiles.size };
  }

  /**
   * The profile of a holder and a scope set, each already counted once for this
   * token: a profile already held keeps its own counts, and gives these back.
   */
  private profileOf(holder: number, scopeSet: number): number {
    const profile = this.profiles.acquire(holder, scopeSet);
    if (!this.profiles.made) {
      this.holders.release(holder);
      this.scopeSets.release(scopeSet);
    }
    return profile;
  }

  /** The holder of a snapshot row's three ids, counted once more (the slow path: a row of a profile not yet filed by its bytes). */
  private holderFromBytes(bytes: Buffer, idsAt: number): number {
    const key = bytes.toString("latin1", idsAt, idsAt + holderIdBytes);
    return this.holders.acquire(key, () => {
      const ownerId = formatUuid(readWords(bytes, idsAt, [0, 0, 0, 0]));
      const organisationId = this.sharedIds.get(key.slice(uuidBytes, 2 * uuidBytes), () => formatUuid(readWords(bytes, idsAt + uuidBytes, [0, 0, 0, 0])));
      const groupKey = key.slice(2 * uuidBytes);
      const groupId = groupKey === noGroupKey ? "" : this.sharedIds.get(groupKey, () => formatUuid(readWords(bytes, idsAt + 2 * uuidBytes, [0, 0, 0, 0])));
      return { ownerId, organisationId, groupId };
    });
  }

  /** The scope set a snapshot row's scope bytes name, counted once more. */
  private scopeSetFromBytes(bytes: Buffer, at: number, length: number): number {
    const text = bytes.toString("latin1", at, at + length);
    return this.scopeSets.acquire(text, () => splitScopes(text));
  }
}
