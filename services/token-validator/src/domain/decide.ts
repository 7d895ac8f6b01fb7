import { TokenState } from "@tessera/shared/gen/tessera/feed/v1/feed_pb";
import { ValidationCode } from "@tessera/shared/gen/tessera/v1/validator_pb";
import { TokenKind } from "@tessera/shared/gen/tessera/v1/token_pb";
import { parseToken } from "@tessera/shared/token/token-format";
import type { DigestKeyer } from "@tessera/shared/token/token-digest";
import type { FreshnessReading } from "./freshness.js";
import { toReplicaSeconds, type PrincipalEntry, type Replica, type TokenEntry } from "./replica.js";

/** One answer to "is this token valid for this scope, right now?". */
export interface Decision {
  readonly valid: boolean;
  readonly code: ValidationCode;
  /** The token concerned, when the value matched one. */
  readonly token: TokenEntry | undefined;
  /** Effective scopes: the token's scopes its owner still holds. */
  readonly scopes: readonly string[];
  readonly seq: bigint;
  readonly freshness: FreshnessReading;
  /** The value presented is the one a RegenerateToken replaced (in its grace period). */
  readonly previousValue: boolean;
}

export interface DecisionContext {
  readonly replica: Replica;
  /** HMAC of a token value under the pepper, as the replica's map key. */
  readonly digestKey: DigestKeyer;
  /** How current the replica is proven to be, now. */
  readonly freshness: (nowMs: number) => FreshnessReading;
  /** When the replica cannot be proven current: refuse everything (false) or answer from what is held (true). */
  readonly failOpen: boolean;
}

const noScopes: readonly string[] = Object.freeze([]);

/** Why a token (or its parent) is not usable at `now` (replica seconds); undefined if it is. */
function unusable(token: TokenEntry, now: number): ValidationCode | undefined {
  const state = token.state;
  if (state === TokenState.REVOKED || state === TokenState.DELETED) return ValidationCode.REVOKED;
  if (state === TokenState.DISABLED) return ValidationCode.DISABLED;
  if (token.expiresAt !== 0 && token.expiresAt <= now) return ValidationCode.EXPIRED;
  return undefined;
}

/** Whether a token created at `createdAt` (replica seconds) falls before a cut-off of its owner, the owner's group or its organisation. */
function issuedBeforeCutoff(createdAt: number, owner: PrincipalEntry, organisationNotBefore: number): boolean {
  return createdAt < owner.tokensNotBefore || createdAt < organisationNotBefore || (owner.group !== undefined && createdAt < owner.group.tokensNotBefore);
}

function answer(code: ValidationCode, token: TokenEntry | undefined, scopes: readonly string[], seq: bigint, freshness: FreshnessReading, previousValue = false): Decision {
  return { valid: code === ValidationCode.VALID, code, token, scopes, seq, freshness, previousValue };
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
  if (freshness.state === "stale" && !(ctx.failOpen && freshness.loaded)) return answer(ValidationCode.STALE, undefined, noScopes, seq, freshness);
  if (parseToken(tokenValue) === undefined) return answer(ValidationCode.MALFORMED, undefined, noScopes, seq, freshness);

  const key = ctx.digestKey(tokenValue);
  const token = replica.byDigest.get(key);
  // A session is for the admin API and console only: on every validator surface it is no token at all.
  if (!token || token.kind === TokenKind.SESSION) return answer(ValidationCode.NOT_FOUND, undefined, noScopes, seq, freshness);
  const now = toReplicaSeconds(nowMs);
  const previousValue = key !== token.digestKey;
  // The value a RegenerateToken replaced works only until its grace period ends.
  if (previousValue && !(token.extra && token.extra.previousExpiresAt > now)) return answer(ValidationCode.REVOKED, token, noScopes, seq, freshness, true);

  let refusal = unusable(token, now);
  // Exchanged tokens die with their parent; one whose parent is gone counts as revoked.
  if (refusal === undefined && token.hasParent) {
    const parent = token.extra?.parent;
    refusal = parent ? unusable(parent, now) : ValidationCode.REVOKED;
  }
  if (refusal !== undefined) return answer(refusal, token, noScopes, seq, freshness);

  const owner = replica.principals.get(token.ownerId);
  if (!owner || owner.disabled) return answer(ValidationCode.OWNER_DISABLED, token, noScopes, seq, freshness, previousValue);
  const organisation = replica.organisations.get(token.organisationId);
  if (organisation?.apiTokensEnabled !== true) return answer(ValidationCode.TOKENS_DISABLED, token, noScopes, seq, freshness, previousValue);
  // Incident response: a cut-off on the owner, its group or its organisation
  // revokes every token created before it, with no token touched. An exchanged
  // token answers for its parent's creation too (it carries what the parent grants).
  if (issuedBeforeCutoff(token.createdAt, owner, organisation.tokensNotBefore) || (token.hasParent && issuedBeforeCutoff(token.extra!.parent!.createdAt, owner, organisation.tokensNotBefore))) {
    return answer(ValidationCode.REVOKED, token, noScopes, seq, freshness, previousValue);
  }

  const permissions = owner.permissions;
  const scopes = permissions === undefined ? token.scopes : token.scopes.filter((scope) => permissions.has(scope));
  const code = requiredScope !== "" && !scopes.includes(requiredScope) ? ValidationCode.INSUFFICIENT_SCOPE : ValidationCode.VALID;
  return answer(code, token, scopes, seq, freshness, previousValue);
}
