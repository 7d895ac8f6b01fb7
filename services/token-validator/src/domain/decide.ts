import { TokenState } from "@tessera/shared/gen/tessera/feed/v1/feed_pb";
import { Freshness, ValidationCode } from "@tessera/shared/gen/tessera/v1/validator_pb";
import { TokenKind } from "@tessera/shared/gen/tessera/v1/token_pb";
import { parseToken } from "@tessera/shared/token/token-format";
import type { Digester } from "@tessera/shared/token/token-digest";
import type { FreshnessReading } from "./freshness.js";
import type { Replica, TokenEntry } from "./replica.js";

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
}

export interface DecisionContext {
  readonly replica: Replica;
  readonly digest: Digester;
  /** How current the replica is proven to be, now. */
  readonly freshness: (nowMs: number) => FreshnessReading;
  /** When the replica cannot be proven current: refuse everything (false) or answer from what is held (true). */
  readonly failOpen: boolean;
}

const noScopes: readonly string[] = Object.freeze([]);

/** Why a token (or its parent) is not usable now; undefined if it is. */
function unusable(token: TokenEntry, nowMs: number): ValidationCode | undefined {
  if (token.state === TokenState.REVOKED || token.state === TokenState.DELETED) return ValidationCode.REVOKED;
  if (token.state === TokenState.DISABLED) return ValidationCode.DISABLED;
  if (token.expiresAtMs !== 0 && token.expiresAtMs <= nowMs) return ValidationCode.EXPIRED;
  return undefined;
}

/**
 * Decides from memory only: no I/O, no logging. Malformed values are refused
 * by format and checksum before any hashing; the rest by one map lookup.
 */
export function decide(ctx: DecisionContext, tokenValue: string, requiredScope: string, nowMs: number): Decision {
  const { replica } = ctx;
  const freshness = ctx.freshness(nowMs);
  const answer = (code: ValidationCode, token?: TokenEntry, scopes: readonly string[] = noScopes): Decision => ({
    valid: code === ValidationCode.VALID,
    code,
    token,
    scopes,
    seq: replica.appliedSeq,
    freshness,
  });

  // Failing open answers from what is held; before the first snapshot nothing is.
  if (freshness.freshness === Freshness.STALE && !(ctx.failOpen && freshness.loaded)) return answer(ValidationCode.STALE);
  if (parseToken(tokenValue) === undefined) return answer(ValidationCode.MALFORMED);

  const key = ctx.digest(tokenValue).toString("latin1");
  const token = replica.byDigest.get(key);
  if (!token) return answer(ValidationCode.NOT_FOUND);
  // The value a RegenerateToken replaced works only until its grace period ends.
  if (key !== token.digestKey && token.previousExpiresAtMs <= nowMs) return answer(ValidationCode.REVOKED, token);

  const own = unusable(token, nowMs);
  if (own !== undefined) return answer(own, token);
  if (token.parentId) {
    // Exchanged and session tokens die with their parent.
    const parent = replica.byId.get(token.parentId);
    const inherited = parent ? unusable(parent, nowMs) : ValidationCode.REVOKED;
    if (inherited !== undefined) return answer(inherited, token);
  }

  const owner = replica.principals.get(token.ownerId);
  if (!owner || owner.disabled) return answer(ValidationCode.OWNER_DISABLED, token);
  // Session tokens are for people signed in to the console, not API tokens: the org's flag does not reach them.
  if (token.kind !== TokenKind.SESSION && replica.organisations.get(token.organisationId)?.apiTokensEnabled !== true) {
    return answer(ValidationCode.TOKENS_DISABLED, token);
  }

  const permissions = owner.permissions;
  const scopes = permissions === undefined ? token.scopes : token.scopes.filter((scope) => permissions.has(scope));
  if (requiredScope !== "" && !scopes.includes(requiredScope)) return answer(ValidationCode.INSUFFICIENT_SCOPE, token, scopes);
  return answer(ValidationCode.VALID, token, scopes);
}
