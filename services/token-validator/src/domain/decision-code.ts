/**
 * Why a decision came out as it did: the validator's own vocabulary. Each
 * surface maps it once to what its callers read (ValidateToken's
 * ValidationCode, an HTTP status and body for forward-auth, ext_authz and
 * introspection); metrics and traces use it as it is.
 */
export type DecisionCode =
  | "valid"
  | "malformed"
  | "not_found"
  | "expired"
  | "revoked"
  | "disabled"
  | "owner_disabled"
  | "tokens_disabled"
  | "insufficient_scope"
  | "stale"
  // A validator serving only some organisations holds no token with this value:
  // another organisation's token, or a forged one — it cannot tell which.
  | "not_served";

/** Every DecisionCode, for tables built once at start. */
export const decisionCodes: readonly DecisionCode[] = Object.freeze([
  "valid",
  "malformed",
  "not_found",
  "expired",
  "revoked",
  "disabled",
  "owner_disabled",
  "tokens_disabled",
  "insufficient_scope",
  "stale",
  "not_served",
]);

/** Every code but "valid": why a token may not be used. */
export type RefusalCode = Exclude<DecisionCode, "valid">;
