import { status, type handleUnaryCall } from "@grpc/grpc-js";
import { maxScopeLength } from "@tessera/shared/token/scope";
import { decide, type DecisionContext } from "../domain/decide.js";
import type { DecisionObserver } from "../domain/surface.js";
import type { ValidateTokenQuery } from "./validate-token-codec.js";
import { writeValidateTokenResponse } from "./validate-token-codec.js";
import type { SurfaceMeter } from "./validator-metrics.js";
import { GrpcCallOrigin } from "./peer-origin.js";

/** TokenValidatorService/ValidateToken: parse, decide from memory, answer. No I/O, no logging. */
export function validateToken(ctx: DecisionContext, observe: DecisionObserver, meter?: SurfaceMeter): handleUnaryCall<ValidateTokenQuery, Uint8Array> {
  const origin = new GrpcCallOrigin();
  return (call, callback) => {
    const startedMs = performance.now();
    const { token, requiredScope } = call.request;
    if (requiredScope.length > maxScopeLength) {
      callback({ code: status.INVALID_ARGUMENT, details: `required_scope: must be at most ${maxScopeLength} characters` });
      return;
    }
    const nowMs = Date.now();
    const decision = decide(ctx, token, requiredScope, nowMs);
    observe(decision, "grpc", nowMs, origin.hold(call, ""));
    origin.release();
    callback(null, writeValidateTokenResponse(decision));
    meter?.latency((performance.now() - startedMs) / 1000);
    if (decision.honeytoken) {
      const route = requiredScope === "" ? "ValidateToken" : `ValidateToken scope=${requiredScope}`;
      ctx.reportHoneytoken?.({ tokenId: decision.honeytoken.id, surface: "grpc", sourceAddress: call.getPeer(), route, usedAtMs: nowMs });
    }
  };
}
