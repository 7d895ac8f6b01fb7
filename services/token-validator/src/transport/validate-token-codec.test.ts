import { create, fromBinary, toBinary } from "@bufbuild/protobuf";
import { timestampFromMs } from "@bufbuild/protobuf/wkt";
import { describe, expect, it } from "vitest";
import { ChangeRecordSchema, TokenState } from "@tessera/shared/gen/tessera/feed/v1/feed_pb";
import { TokenKind, TokenLevel } from "@tessera/shared/gen/tessera/v1/token_pb";
import { ValidateTokenRequestSchema, ValidateTokenResponseSchema, ValidationCode } from "@tessera/shared/gen/tessera/v1/validator_pb";
import type { Decision } from "../domain/decide.js";
import { decisionCodes } from "../domain/decision-code.js";
import { Replica, toUnixSeconds, type TokenEntry } from "../domain/replica.js";
import { codeToWire, freshnessToWire } from "./decision-wire.js";
import { readValidateTokenRequest, writeValidateTokenResponse } from "./validate-token-codec.js";

function entry(fields: { groupId?: string; admin?: boolean; expiresAtMs?: number; kind?: TokenKind; level?: TokenLevel }): TokenEntry {
  const replica = new Replica();
  replica.applyRecord(create(ChangeRecordSchema, {
    record: {
      case: "token",
      value: {
        id: "6f1c2a9e-1d3b-4c55-9a8e-2f6b7c8d9e0f", digest: new Uint8Array(32).fill(7), ownerId: "0b7e4f21-5a6c-4d3e-8f9a-1b2c3d4e5f60",
        organisationId: "9c8b7a6d-5e4f-4a3b-2c1d-0e9f8a7b6c5d", groupId: fields.groupId ?? "", scopes: ["orders:read"], state: TokenState.ACTIVE,
        expiresAtMs: BigInt(fields.expiresAtMs ?? 0), admin: fields.admin ?? false, kind: fields.kind ?? TokenKind.PERSONAL, level: fields.level ?? TokenLevel.USER,
      },
    },
  }));
  return [...replica.tokens()][0]!;
}

/** The answer as the generated message would carry it: the reference encoding. */
function reference(decision: Decision): Uint8Array {
  const token = decision.token;
  return toBinary(ValidateTokenResponseSchema, create(ValidateTokenResponseSchema, {
    valid: decision.valid, code: codeToWire[decision.code], tokenId: token?.id ?? "", ownerId: token?.ownerId ?? "", organisationId: token?.organisationId ?? "",
    groupId: token?.groupId ?? "", scopes: [...decision.scopes], expireTime: token && token.expiresAt !== 0 ? timestampFromMs(toUnixSeconds(token.expiresAt) * 1000) : undefined,
    seq: decision.seq, freshness: freshnessToWire[decision.freshness.state], stalenessMs: decision.freshness.stalenessMs, freshnessDetail: decision.freshness.detail,
    level: token?.level ?? 0, kind: token?.kind ?? 0, admin: token?.admin ?? false,
  }));
}

const current = { state: "current", stalenessMs: 312, detail: "", loaded: true } as const;

describe("ValidateToken codec", () => {
  it("maps every DecisionCode to the ValidationCode of the same name, none to UNSPECIFIED", () => {
    for (const code of decisionCodes) expect(ValidationCode[codeToWire[code]]!.toLowerCase(), code).toBe(code);
    expect(new Set(decisionCodes.map((code) => codeToWire[code])).size).toBe(decisionCodes.length);
  });

  it("writes exactly the bytes the generated encoder writes", () => {
    const decisions: Decision[] = [
      { valid: true, code: "valid", token: entry({ expiresAtMs: 1_893_456_000_000 }), scopes: ["orders:read", "orders:write"], seq: 42n, freshness: current, honeytoken: undefined, previousValue: false },
      { valid: true, code: "valid", token: entry({ groupId: "1a2b3c4d-0000-4000-8000-000000000000", admin: true, kind: TokenKind.EXCHANGED, level: TokenLevel.GROUP }), scopes: [], seq: 2n ** 40n, freshness: current, honeytoken: undefined, previousValue: false },
      { valid: false, code: "malformed", token: undefined, scopes: [], seq: 0n, freshness: { ...current, stalenessMs: 0 }, honeytoken: undefined, previousValue: false },
      { valid: false, code: "stale", token: undefined, scopes: [], seq: 9n, freshness: { state: "stale", stalenessMs: 9000, detail: "not proven current within max staleness: database unreachable; behind the change feed's head", loaded: true }, honeytoken: undefined, previousValue: false },
      { valid: false, code: "insufficient_scope", token: entry({}), scopes: ["orders:read"], seq: 7n, freshness: { state: "degraded", stalenessMs: 4100, detail: "database unreachable; proven current by the change feed", loaded: true }, honeytoken: undefined, previousValue: false },
    ];
    for (const decision of decisions) {
      const written = Buffer.from(writeValidateTokenResponse(decision));
      expect(written.toString("hex")).toBe(Buffer.from(reference(decision)).toString("hex"));
      expect(fromBinary(ValidateTokenResponseSchema, written).code).toBe(codeToWire[decision.code]);
    }
  });

  it("reads what the generated encoder writes, skipping unknown fields", () => {
    const plain = toBinary(ValidateTokenRequestSchema, create(ValidateTokenRequestSchema, { token: "tsr_pat_x", requiredScope: "orders:read" }));
    expect(readValidateTokenRequest(plain)).toEqual({ token: "tsr_pat_x", requiredScope: "orders:read" });
    // An unknown varint field 7 and an unknown length-delimited field 9 around the known ones.
    const withUnknown = Buffer.concat([Buffer.from([0x38, 0x96, 0x01]), Buffer.from(plain), Buffer.from([0x4a, 0x02, 0x68, 0x69])]);
    expect(readValidateTokenRequest(withUnknown)).toEqual({ token: "tsr_pat_x", requiredScope: "orders:read" });
    expect(readValidateTokenRequest(new Uint8Array(0))).toEqual({ token: "", requiredScope: "" });
  });
});
