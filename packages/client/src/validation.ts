import { timestampDate } from "@bufbuild/protobuf/wkt";
import { TokenLevel } from "./gen/tessera/v1/token_pb.js";
import { Freshness, ValidationCode, type ValidateTokenResponse } from "./gen/tessera/v1/validator_pb.js";

/** Why a token was accepted or refused: one word per answer. */
export type ValidationCodeName =
  | "valid"
  | "malformed"
  | "not_found"
  | "expired"
  | "revoked"
  | "disabled"
  | "insufficient_scope"
  | "owner_disabled"
  | "tokens_disabled"
  | "stale"
  // The validator serves only some organisations and holds no token with this value (not a verdict on the token).
  | "not_served";

/** Who a valid token speaks for: what middleware puts on the request. */
export interface TesseraIdentity {
  readonly tokenId: string;
  readonly ownerId: string;
  readonly organisationId: string;
  /** Empty unless a group-level token. */
  readonly groupId: string;
  readonly level: "user" | "group" | "org";
  /** The token's scopes its owner still holds. */
  readonly scopes: readonly string[];
  /** Undefined: the token does not expire. */
  readonly expiresAt: Date | undefined;
  /** Whether the token may call the admin API. */
  readonly admin: boolean;
}

/** A validator's answer. */
export interface Validation {
  readonly valid: boolean;
  readonly code: ValidationCodeName;
  /** Set exactly when valid. */
  readonly identity: TesseraIdentity | undefined;
  /** The change-feed position the answer was decided at. */
  readonly seq: bigint;
  readonly freshness: "current" | "degraded" | "stale";
  /** Milliseconds since the validator last proved its replica current. */
  readonly stalenessMs: number;
}

const codeNames: Record<ValidationCode, ValidationCodeName> = {
  [ValidationCode.UNSPECIFIED]: "malformed",
  [ValidationCode.VALID]: "valid",
  [ValidationCode.MALFORMED]: "malformed",
  [ValidationCode.NOT_FOUND]: "not_found",
  [ValidationCode.EXPIRED]: "expired",
  [ValidationCode.REVOKED]: "revoked",
  [ValidationCode.DISABLED]: "disabled",
  [ValidationCode.INSUFFICIENT_SCOPE]: "insufficient_scope",
  [ValidationCode.OWNER_DISABLED]: "owner_disabled",
  [ValidationCode.TOKENS_DISABLED]: "tokens_disabled",
  [ValidationCode.STALE]: "stale",
  [ValidationCode.NOT_SERVED]: "not_served",
};

const freshnessNames: Record<Freshness, Validation["freshness"]> = {
  [Freshness.UNSPECIFIED]: "stale",
  [Freshness.CURRENT]: "current",
  [Freshness.DEGRADED]: "degraded",
  [Freshness.STALE]: "stale",
};

const levelNames: Record<TokenLevel, TesseraIdentity["level"]> = {
  [TokenLevel.UNSPECIFIED]: "user",
  [TokenLevel.USER]: "user",
  [TokenLevel.GROUP]: "group",
  [TokenLevel.ORG]: "org",
};

/** The wire answer in plain words. A code this version does not know counts as a refusal. */
export function validationFromResponse(response: ValidateTokenResponse): Validation {
  const code = codeNames[response.code] ?? "malformed";
  const valid = response.valid && code === "valid";
  return {
    valid,
    code: valid ? "valid" : code === "valid" ? "malformed" : code,
    identity: valid
      ? {
          tokenId: response.tokenId,
          ownerId: response.ownerId,
          organisationId: response.organisationId,
          groupId: response.groupId,
          level: levelNames[response.level] ?? "user",
          scopes: response.scopes,
          expiresAt: response.expireTime ? timestampDate(response.expireTime) : undefined,
          admin: response.admin,
        }
      : undefined,
    seq: response.seq,
    freshness: freshnessNames[response.freshness] ?? "stale",
    stalenessMs: response.stalenessMs,
  };
}
