import { TokenState } from "@tessera/shared/gen/tessera/feed/v1/feed_pb";
import { TokenKind } from "@tessera/shared/gen/tessera/v1/token_pb";
import type { TokenFormat } from "@tessera/shared/token/token-format";
import type { DigestKeyer } from "@tessera/shared/token/token-digest";
import type { RefusalCode } from "./decision-code.js";
import type { FreshnessReading } from "./freshness.js";
import type { HoneytokenReporter } from "./honeytoken-reporter.js";
import { toReplicaSeconds, type PrincipalEntry, type Replica, type TokenEntry } from "./replica.js";

interface DecisionFacts {
  /** Effective scopes: the token's scopes its owner still holds. */
  readonly scopes: readonly string[];
  readonly seq: bigint;
  readonly freshness: FreshnessReading;
  /**
   * Set only when the value was a honeytoken's: the answer is NOT_FOUND, exactly
   * as for an unknown value, and the surface reports the presentation.
   */
  readonly honeytoken: TokenEntry | undefined;
  /** The value presented is the one a RegenerateToken replaced (in its grace period). */
  readonly previousValue: boolean;
}

/** The token may be used for the scope asked. */
export interface Acceptance extends DecisionFacts {
  readonly valid: true;
  readonly code: "valid";
  readonly token: TokenEntry;
}

/** The token may not be used, and why. */
export interface Refusal extends DecisionFacts {
  readonly valid: false;
  readonly code: RefusalCode;
  /** The token concerned, when the value matched one. */
  readonly token: TokenEntry | undefined;
}

/** One answer to "is this token valid for this scope, right now?": `valid` tells which kind. */
export type Decision = Acceptance | Refusal;

export interface DecisionContext {
  readonly replica: Replica;
  /** HMAC of a token value under the pepper, as a latin1 string: what the replica finds tokens by. */
  readonly digestKey: DigestKeyer;
  /** How current the replica is proven to be, now. */
  readonly freshness: (nowMs: number) => FreshnessReading;
  /** When the replica cannot be proven current: refuse everything (false) or answer from what is held (true). */
  readonly failOpen: boolean;
  /** This deployment's token prefix and checksum. */
  readonly tokenFormat: TokenFormat;
  /**
   * The replica holds only some organisations' tokens (TESSERA_VALIDATOR_ORGANISATIONS):
   * a value it does not hold is "not_served", not "not_found", as it may be another
   * organisation's token.
   */
  readonly partial?: boolean;
  /** Told of every honeytoken presentation, after the answer is given. */
  readonly reportHoneytoken?: HoneytokenReporter | undefined;
}

const noScopes: readonly string[] = Object.freeze([]);

/** Why a token (or its parent) is not usable at `now` (replica seconds); undefined if it is. */
function unusable(token: TokenEntry, now: number): RefusalCode | undefined {
  const state = token.state;
  if (state === TokenState.REVOKED || state === TokenState.DELETED) return "revoked";
  if (state === TokenState.DISABLED) return "disabled";
  if (token.expiresAt !== 0 && token.expiresAt <= now) return "expired";
  return undefined;
}

/** Whether a token created at `createdAt` (replica seconds) falls before a cut-off of its owner, the owner's group or its organisation. */
function issuedBeforeCutoff(createdAt: number, owner: PrincipalEntry, organisationNotBefore: number): boolean {
  return createdAt < owner.tokensNotBefore || createdAt < organisationNotBefore || (owner.group !== undefined && createdAt < owner.group.tokensNotBefore);
}

// Both kinds built with the same fields in the same order: one object shape on the hot path.
function refuse(code: RefusalCode, token: TokenEntry | undefined, scopes: readonly string[], seq: bigint, freshness: FreshnessReading, previousValue = false, honeytoken?: TokenEntry): Refusal {
  return { valid: false, code, token, scopes, seq, freshness, honeytoken, previousValue };
}

function accept(token: TokenEntry, scopes: readonly string[], seq: bigint, freshness: FreshnessReading, previousValue: boolean): Acceptance {
  return { valid: true, code: "valid", token, scopes, seq, freshness, honeytoken: undefined, previousValue };
}

/**
 * Decides from memory only: no I/O, no logging. Malformed values are refused
 * by format and checksum before any hashing; the rest by one map lookup.
 */
export function decide(ctx: DecisionContext, tokenValue: string, requiredScope: string, nowMs: number): Decision {
  const replica = ctx.replica;
  const seq = replica.appliedSeq;
  const freshness = ctx.freshness(nowMs);
  // Failing open answers from what is held; before the first snapshot nothing is.
  if (freshness.state === "stale" && !(ctx.failOpen && freshness.loaded)) return refuse("stale", undefined, noScopes, seq, freshness);
  if (ctx.tokenFormat.parse(tokenValue) === undefined) return refuse("malformed", undefined, noScopes, seq, freshness);

  const token = replica.findByKey(ctx.digestKey(tokenValue));
  // A partial replica cannot tell another organisation's token from a forgery: it says what it knows.
  const unknown = ctx.partial === true ? "not_served" : "not_found";
  // A session is for the admin API and console only: on every validator surface it is no token at all.
  if (!token || token.kind === TokenKind.SESSION) return refuse(unknown, undefined, noScopes, seq, freshness);
  // A honeytoken is an unknown value to whoever presents it, whatever its state; only the report differs
  // (so on a partial replica it is "not_served", as any value it does not hold).
  if (token.honeytoken) return refuse(unknown, undefined, noScopes, seq, freshness, false, token);
  const now = toReplicaSeconds(nowMs);
  const previousValue = token.previousValue;
  // The value a RegenerateToken replaced works only until its grace period ends.
  if (previousValue && !(token.previousExpiresAt > now)) return refuse("revoked", token, noScopes, seq, freshness, true);

  let refusal = unusable(token, now);
  // Exchanged tokens die with their parent; one whose parent is gone counts as revoked.
  const parent = token.hasParent ? token.parent : undefined;
  if (refusal === undefined && token.hasParent) refusal = parent ? unusable(parent, now) : "revoked";
  if (refusal !== undefined) return refuse(refusal, token, noScopes, seq, freshness, previousValue);

  const owner = replica.principals.get(token.ownerId);
  if (!owner || owner.disabled) return refuse("owner_disabled", token, noScopes, seq, freshness, previousValue);
  const organisation = replica.organisations.get(token.organisationId);
  if (organisation?.apiTokensEnabled !== true) return refuse("tokens_disabled", token, noScopes, seq, freshness, previousValue);
  // Incident response: a cut-off on the owner, its group or its organisation
  // revokes every token created before it, with no token touched. An exchanged
  // token answers for its parent's creation too (it carries what the parent grants).
  if (issuedBeforeCutoff(token.createdAt, owner, organisation.tokensNotBefore) || (parent !== undefined && issuedBeforeCutoff(parent.createdAt, owner, organisation.tokensNotBefore))) {
    return refuse("revoked", token, noScopes, seq, freshness, previousValue);
  }

  const permissions = owner.permissions;
  const scopes = permissions === undefined ? token.scopes : token.scopes.filter((scope) => permissions.has(scope));
  if (requiredScope !== "" && !scopes.includes(requiredScope)) return refuse("insufficient_scope", token, scopes, seq, freshness, previousValue);
  return accept(token, scopes, seq, freshness, previousValue);
}
