import { create } from "@bufbuild/protobuf";
import { timestampFromDate, type Timestamp } from "@bufbuild/protobuf/wkt";
import type { TokenKindColumn, TokenLevelName } from "@tessera/shared/db/schema";
import { invalidArgument } from "@tessera/shared/errors/tessera-error";
import {
  ExpiryUnit,
  type CreateTokenRequest,
  type DeleteTokensRequest,
  type ExchangeTokenRequest,
  type Expiry,
  type ListTokensRequest,
} from "@tessera/shared/gen/tessera/v1/admin_pb";
import {
  TokenKind,
  TokenLevel,
  TokenSchema,
  TokenStatus,
  type Token as TokenMessage,
} from "@tessera/shared/gen/tessera/v1/token_pb";
import { maxScopeLength, maxScopes } from "@tessera/shared/token/scope";
import type { CreateTokenInput } from "../domain/tokens/create-token.js";
import type { ExpiryRequest } from "../domain/tokens/expiry.js";
import type { ListTokensInput } from "../domain/tokens/list-tokens.js";
import type { Token, TokenStatusName } from "../domain/tokens/token.js";
import type { TokenStatusFilter } from "../store/token-store.js";
import { parseSeconds } from "./identity-messages.js";
import { parseEnum, parseId, parseName, parseOptionalId, parseOptionalText, parsePageSize, parseStringList, parseTimestamp } from "./parse.js";

const levelToProto = { user: TokenLevel.USER, group: TokenLevel.GROUP, org: TokenLevel.ORG } as const;
const kindToProto = { personal: TokenKind.PERSONAL, exchanged: TokenKind.EXCHANGED, session: TokenKind.SESSION } as const;
const statusToProto: Record<TokenStatusName, TokenStatus> = {
  active: TokenStatus.ACTIVE,
  disabled: TokenStatus.DISABLED,
  revoked: TokenStatus.REVOKED,
  expired: TokenStatus.EXPIRED,
};

const optionalTimestamp = (date: Date | null): Timestamp | undefined => (date ? timestampFromDate(date) : undefined);

export function tokenToProto(token: Token): TokenMessage {
  return create(TokenSchema, {
    id: token.id,
    name: token.name,
    organisationId: token.organisationId,
    ownerId: token.ownerId,
    groupId: token.groupId ?? "",
    level: levelToProto[token.level],
    kind: kindToProto[token.kind],
    scopes: [...token.scopes],
    admin: token.admin,
    createdBy: token.createdBy,
    createTime: timestampFromDate(token.createdAt),
    expireTime: optionalTimestamp(token.expiresAt),
    lastUsedTime: optionalTimestamp(token.lastUsedAt),
    lastUsedSource: token.lastUsedSource ?? "",
    revokeTime: optionalTimestamp(token.revokedAt),
    revokedBy: token.revokedBy ?? "",
    revocationReason: token.revocationReason ?? "",
    disableTime: optionalTimestamp(token.disabledAt),
    disabledBy: token.disabledBy ?? "",
    status: statusToProto[token.status],
    displayHint: token.displayHint,
    parentTokenId: token.parentTokenId ?? "",
    regenerateTime: optionalTimestamp(token.regeneratedAt),
    honeytoken: token.honeytoken,
    useSources: (token.useSources ?? []).map((source) => ({
      surface: source.surface,
      address: source.address,
      route: source.route,
      firstSeenTime: timestampFromDate(source.firstSeenAt),
      lastSeenTime: timestampFromDate(source.lastSeenAt),
      count: BigInt(source.count),
      previousValue: source.previousValue,
    })),
    previousValueExpireTime: optionalTimestamp(token.previousValueExpiresAt),
    previousValueLastUsedTime: optionalTimestamp(token.previousValueLastUsedAt),
  });
}

const unitFromProto: Partial<Record<ExpiryUnit, "minutes" | "hours" | "days">> = {
  [ExpiryUnit.MINUTES]: "minutes",
  [ExpiryUnit.HOURS]: "hours",
  [ExpiryUnit.DAYS]: "days",
};

/** Undefined: the request named no expiry (the organisation's default applies). */
export function parseExpiry(expiry: Expiry | undefined, field = "expiry"): ExpiryRequest | undefined {
  const kind = expiry?.kind;
  switch (kind?.case) {
    case undefined:
      return undefined;
    case "after": {
      const unit = unitFromProto[kind.value.unit];
      if (!unit) throw invalidArgument(`${field}.after.unit`, "must be MINUTES, HOURS or DAYS");
      return { kind: "after", amount: kind.value.amount, unit };
    }
    case "at":
      return { kind: "at", at: parseTimestamp(`${field}.at`, kind.value)! };
    case "endOfDate":
      if (kind.value.length > 10) throw invalidArgument(`${field}.end_of_date`, "must be a calendar date YYYY-MM-DD");
      return { kind: "end_of_date", date: kind.value };
    case "never":
      if (!kind.value) throw invalidArgument(`${field}.never`, "must be true when set");
      return { kind: "never" };
  }
}

export function parseCreateToken(req: CreateTokenRequest): CreateTokenInput {
  return {
    name: parseName("name", req.name),
    scopes: parseStringList("scopes", req.scopes, maxScopes, maxScopeLength),
    ownerId: parseOptionalId("owner_id", req.ownerId),
    expiry: parseExpiry(req.expiry),
    level: parseEnum("level", req.level, levelFromProto) ?? "user",
    groupId: parseOptionalId("group_id", req.groupId),
    organisationId: parseOptionalId("organisation_id", req.organisationId),
    admin: req.admin,
    honeytoken: req.honeytoken,
  };
}

/** The most tokens one DeleteTokens or DisableTokens may name. */
export const maxDeleteIds = 100;

/** 1..100 distinct token ids. */
export function parseTokenIds(req: Pick<DeleteTokensRequest, "tokenIds">): string[] {
  if (req.tokenIds.length === 0) throw invalidArgument("token_ids", "at least one id");
  if (req.tokenIds.length > maxDeleteIds) throw invalidArgument("token_ids", `at most ${maxDeleteIds} ids`);
  const ids = req.tokenIds.map((id, i) => parseId(`token_ids[${i}]`, id));
  const seen = new Set<string>();
  ids.forEach((id, i) => {
    if (seen.has(id)) throw invalidArgument(`token_ids[${i}]`, "is repeated");
    seen.add(id);
  });
  return ids;
}

export function parseExchange(req: ExchangeTokenRequest): { ttlSeconds: number | undefined; scopes: string[] } {
  const ttlSeconds = req.ttl && parseSeconds("ttl", req.ttl);
  if (ttlSeconds === 0) throw invalidArgument("ttl", "must be positive");
  return { ttlSeconds, scopes: parseStringList("scopes", req.scopes, maxScopes, maxScopeLength) };
}

const kindFromProto: Partial<Record<TokenKind, TokenKindColumn>> = {
  [TokenKind.PERSONAL]: "personal",
  [TokenKind.EXCHANGED]: "exchanged",
  [TokenKind.SESSION]: "session",
};

const levelFromProto: Partial<Record<TokenLevel, TokenLevelName>> = {
  [TokenLevel.USER]: "user",
  [TokenLevel.GROUP]: "group",
  [TokenLevel.ORG]: "org",
};

const statusFromProto: Partial<Record<TokenStatus, TokenStatusFilter>> = {
  [TokenStatus.ACTIVE]: "active",
  [TokenStatus.DISABLED]: "disabled",
  [TokenStatus.REVOKED]: "revoked",
  [TokenStatus.EXPIRED]: "expired",
};

export function parseListTokens(req: ListTokensRequest): ListTokensInput {
  return {
    pageSize: parsePageSize(req.pageSize),
    pageToken: parseOptionalText("page_token", req.pageToken, 200) ?? "",
    ownerId: parseOptionalId("owner_id", req.ownerId),
    organisationId: parseOptionalId("organisation_id", req.organisationId),
    groupId: parseOptionalId("group_id", req.groupId),
    level: parseEnum("level", req.level, levelFromProto),
    kind: parseEnum("kind", req.kind, kindFromProto),
    status: parseEnum("status", req.status, statusFromProto),
    createdBy: parseOptionalId("created_by", req.createdBy),
    nameContains: parseOptionalText("name_contains", req.nameContains, 100),
    expiresBefore: parseTimestamp("expires_before", req.expiresBefore),
    honeytokens: req.honeytokens,
  };
}
