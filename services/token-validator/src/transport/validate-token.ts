import { create } from "@bufbuild/protobuf";
import { status, type handleUnaryCall } from "@grpc/grpc-js";
import {
  ValidateTokenResponseSchema,
  type ValidateTokenRequest,
  type ValidateTokenResponse,
} from "@tessera/shared/gen/tessera/v1/validator_pb";
import { maxScopeLength } from "@tessera/shared/token/scope";
import { decide, type Decision, type DecisionContext } from "../domain/decide.js";
import type { DecisionObserver } from "../domain/surface.js";
import type { SurfaceMeter } from "./validator-metrics.js";

/** The wire answer for a decision: identity only when the value matched a token. */
export function decisionToProto(decision: Decision): ValidateTokenResponse {
  const token = decision.token;
  return create(ValidateTokenResponseSchema, {
    valid: decision.valid,
    code: decision.code,
    tokenId: token?.id ?? "",
    ownerId: token?.ownerId ?? "",
    organisationId: token?.organisationId ?? "",
    groupId: token?.groupId ?? "",
    scopes: decision.scopes as string[],
    expireTime: token?.expireTime,
    seq: decision.seq,
    freshness: decision.freshness.freshness,
    stalenessMs: decision.freshness.stalenessMs,
    freshnessDetail: decision.freshness.detail,
    level: token?.level ?? 0,
    kind: token?.kind ?? 0,
    admin: token?.admin ?? false,
  });
}

/** TokenValidatorService/ValidateToken: parse, decide from memory, answer. No I/O, no logging. */
export function validateToken(ctx: DecisionContext, observe: DecisionObserver, meter?: SurfaceMeter): handleUnaryCall<ValidateTokenRequest, ValidateTokenResponse> {
  return (call, callback) => {
    const startedMs = performance.now();
    const { token, requiredScope } = call.request;
    if (requiredScope.length > maxScopeLength) {
      callback({ code: status.INVALID_ARGUMENT, details: `required_scope: must be at most ${maxScopeLength} characters` });
      return;
    }
    const nowMs = Date.now();
    const decision = decide(ctx, token, requiredScope, nowMs);
    observe(decision, "grpc", nowMs);
    callback(null, decisionToProto(decision));
    meter?.latency((performance.now() - startedMs) / 1000);
  };
}
