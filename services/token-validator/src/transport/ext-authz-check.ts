import { create, toBinary } from "@bufbuild/protobuf";
import type { handleUnaryCall, ServiceDefinition } from "@grpc/grpc-js";
import { HeaderValueOption_HeaderAppendAction as AppendAction } from "@tessera/shared/gen/envoy/config/core/v3/base_pb";
import { Authorization, CheckResponseSchema, type CheckResponse } from "@tessera/shared/gen/envoy/service/auth/v3/external_auth_pb";
import { decide, type DecisionContext } from "../domain/decide.js";
import type { DecisionObserver } from "../domain/surface.js";
import { GrpcCallOrigin } from "./peer-origin.js";
import { readCheckRequest, type CheckFacts, type CheckLimits } from "./check-request-reader.js";
import { allowedResponseWriter } from "./check-response-writer.js";
import { credentialFromHeader, missingCredential } from "./credential.js";
import { allDenyAnswers, ambiguousRequestAnswer, denyAnswerFor, invalidRequestAnswer, missingTokenAnswer, type DenyAnswer } from "./deny-answer.js";
import type { IdentityHeaderNames } from "./identity-headers.js";
import { pathForMatching, type RouteTable } from "./route-table.js";
import type { SurfaceMeter } from "./validator-metrics.js";

/** ext_authz settings, from the validator config. */
export interface ExtAuthzOptions {
  /** Lower case; "authorization" expects "Bearer <token>", any other header the bare token. */
  readonly tokenHeader: string;
  /** Request headers Envoy strips before the request goes upstream (the credential, by default). */
  readonly headersToRemove: readonly string[];
  readonly identityHeaders: IdentityHeaderNames;
  readonly routes: RouteTable;
}

/** The context_extensions key a route uses to name its scope, overriding the route table. */
export const scopeExtension = "scope";

// google.rpc.Code values for CheckResponse.status: OK lets the request through, anything else denies it.
const grpcCodeFor: Readonly<Record<DenyAnswer["status"], number>> = { 401: 16, 403: 7, 503: 14 }; // UNAUTHENTICATED, PERMISSION_DENIED, UNAVAILABLE

/**
 * A refusal as Envoy relays it. A stale validator answers a denial (503,
 * Retry-After), not a gRPC error: an error would let an Envoy configured with
 * failure_mode_allow through, and Tessera's own TESSERA_FAIL_OPEN decides that.
 */
export function deniedResponse(answer: DenyAnswer): CheckResponse {
  return create(CheckResponseSchema, {
    status: { code: grpcCodeFor[answer.status], message: answer.code },
    httpResponse: {
      case: "deniedResponse",
      value: {
        status: { code: answer.status },
        // Envoy computes the length of the body it sends itself.
        headers: answer.headers
          .filter(([key]) => key !== "content-length")
          .map(([key, value]) => ({ header: { key, value }, appendAction: AppendAction.OVERWRITE_IF_EXISTS_OR_ADD })),
        body: answer.body,
      },
    },
  });
}

/**
 * The grpc-js definition of Authorization/Check with a codec of its own: the
 * request is read straight off the wire into CheckFacts, within `limits` (with
 * the request's W3C trace context when `traceContext`), and the answer is already
 * bytes. Same path and wire format as the generated service.
 */
export function extAuthzServiceDefinition(tokenHeader: string, limits: CheckLimits, traceContext = false): ServiceDefinition {
  const method = Authorization.method.check;
  const header = new TextEncoder().encode(tokenHeader);
  return {
    [method.localName]: {
      path: `/${Authorization.typeName}/${method.name}`,
      originalName: method.localName,
      requestStream: false,
      responseStream: false,
      requestDeserialize: (bytes: Buffer) => readCheckRequest(bytes, header, limits, traceContext),
      // extAuthzCheck's answers are Buffers already.
      responseSerialize: (answer: Buffer) => answer,
      // Server side only; clients use the generated schema (grpcServiceDefinition).
      requestSerialize: () => {
        throw new Error("extAuthzServiceDefinition serves Check; it does not call it");
      },
      responseDeserialize: (bytes: Buffer) => bytes,
    },
  };
}

/**
 * envoy.service.auth.v3.Authorization/Check: the token from the configured
 * header, the required scope from the route's context_extensions["scope"] or
 * else the route table, one decision from memory. Allowed: OK with identity
 * headers set and the credential removed. Refused: a denied response (401,
 * 403 or 503) with WWW-Authenticate and a small JSON body, encoded once at
 * start; so is a request past the header bounds (401 invalid_request). No I/O,
 * no logging. Served with extAuthzServiceDefinition's codec.
 */
export function extAuthzCheck(ctx: DecisionContext, observe: DecisionObserver, options: ExtAuthzOptions, meter: SurfaceMeter): handleUnaryCall<CheckFacts, Buffer> {
  const { tokenHeader, identityHeaders, routes } = options;
  const bearer = tokenHeader === "authorization";
  const denied = new Map(allDenyAnswers().map((answer) => [answer, Buffer.from(toBinary(CheckResponseSchema, deniedResponse(answer)))]));
  const allowed = allowedResponseWriter(identityHeaders, options.headersToRemove);

  const refuse = (answer: DenyAnswer): Buffer => {
    meter.refused(answer);
    return denied.get(answer)!;
  };

  // Set by check() when the value was a honeytoken's; reported once the answer is sent.
  let tripped: { tokenId: string; route: string; usedAtMs: number } | undefined;

  const origin = new GrpcCallOrigin();
  // The client's own address stays with Envoy (its source attribute is not read, to keep reading lean):
  // the address recorded is the Envoy's, the route the request's.
  const check = (facts: CheckFacts, peer: { getPeer(): string }): Buffer => {
    // Past the header bounds: a denial, not a gRPC error, which an Envoy with failure_mode_allow would let through.
    if (facts.overLimit) return refuse(invalidRequestAnswer);
    // A check without HTTP attributes (Envoy's network filter) carries no credential to read.
    const credential = credentialFromHeader(facts.http ? facts.credential : undefined, bearer);
    if (typeof credential !== "string") return refuse(credential === missingCredential ? missingTokenAnswer : invalidRequestAnswer);
    let scope = facts.scope;
    if (scope === undefined) {
      const path = pathForMatching(facts.path);
      if (path === undefined) return refuse(ambiguousRequestAnswer);
      scope = routes.requiredScope(facts.method, path);
    }
    const nowMs = Date.now();
    const decision = decide(ctx, credential, scope, nowMs);
    observe(decision, "ext_authz", nowMs, origin.hold(peer, facts.path));
    origin.release();
    if (decision.honeytoken) tripped = { tokenId: decision.honeytoken.id, route: `${facts.method} ${facts.path}`, usedAtMs: nowMs };
    if (!decision.valid) return denied.get(denyAnswerFor(decision.code))!;
    const token = decision.token;
    return allowed(token.id, token.ownerId, token.organisationId, decision.scopes.join(" "));
  };

  return (call, callback) => {
    const startedMs = performance.now();
    callback(null, check(call.request, call));
    meter.latency((performance.now() - startedMs) / 1000);
    if (tripped) {
      // Envoy's own address: the vendored ext_authz subset does not carry the downstream client's.
      ctx.reportHoneytoken?.({ ...tripped, surface: "ext_authz", sourceAddress: call.getPeer() });
      tripped = undefined;
    }
  };
}
