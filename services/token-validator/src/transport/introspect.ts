import type { IncomingMessage, OutgoingHttpHeader, ServerResponse } from "node:http";
import { decide, type Acceptance, type DecisionContext } from "../domain/decide.js";
import { toUnixSeconds } from "../domain/replica.js";
import type { DecisionObserver } from "../domain/surface.js";
import { PlainOrigin } from "./peer-origin.js";
import { credentialFromHeader, missingCredential, unreadableCredential } from "./credential.js";
import { denyAnswerFor, invalidRequestAnswer, missingTokenAnswer, type DenyAnswer } from "./deny-answer.js";
import type { SurfaceMeter } from "./validator-metrics.js";

/** Introspection settings, from the validator config. */
export interface IntrospectOptions {
  /** The scope a caller's own token must hold to introspect others. */
  readonly introspectionScope: string;
}

/** Handles POST /introspect. */
export type IntrospectHandler = (req: IncomingMessage, res: ServerResponse) => void;

/** A form carrying one token and a hint is well under this. */
const maxBodyBytes = 4096;
const formType = /^application\/x-www-form-urlencoded\s*(;|$)/i;
/** RFC 7662 §2.2: an inactive token gets exactly this, whatever the reason. */
const inactiveBody = '{"active":false}';

/** The RFC 7662 answer for an active token: OAuth names, plus the feed position it was decided at. */
function activeBody(decision: Acceptance): string {
  const token = decision.token;
  return JSON.stringify({
    active: true,
    scope: decision.scopes.join(" "),
    client_id: token.id,
    sub: token.ownerId,
    organisation_id: token.organisationId,
    token_type: "Bearer",
    exp: token.expiresAt !== 0 ? toUnixSeconds(token.expiresAt) : undefined,
    iat: token.createdAt !== 0 ? toUnixSeconds(token.createdAt) : undefined,
    seq: Number(decision.seq),
  });
}

/** Whether the caller may learn about the token: same organisation, or an owner holding every scope. */
function mayIntrospect(ctx: DecisionContext, caller: Acceptance, decision: Acceptance): boolean {
  const callerToken = caller.token;
  if (callerToken.organisationId === decision.token.organisationId) return true;
  const owner = ctx.replica.principals.get(callerToken.ownerId);
  return owner !== undefined && owner.permissions === undefined;
}

function send(res: ServerResponse, status: number, body: string, headers: readonly string[] = []): void {
  res.writeHead(status, [...headers, "content-type", "application/json", "cache-control", "no-store", "content-length", String(Buffer.byteLength(body))]);
  res.end(body);
}

/** An RFC 6749 §5.2 error; the connection is closed, as the body may be left unread. */
function invalidRequest(res: ServerResponse, status: number, description: string, headers: readonly string[] = []): void {
  send(res, status, JSON.stringify({ error: "invalid_request", error_description: description }), [...headers, "connection", "close"]);
}

function refuse(res: ServerResponse, answer: DenyAnswer): void {
  res.writeHead(answer.status, [...answer.flatHeaders, "connection", "close"] as OutgoingHttpHeader[]);
  res.end(answer.body);
}

/**
 * RFC 7662 token introspection: POST /introspect with a form `token=…` (and
 * an optional token_type_hint, accepted and ignored: there is one kind of
 * token). The caller authenticates with its own Bearer token, which must hold
 * the introspection scope. Answers from memory like every other surface.
 * A caller sees tokens of its own organisation only (others are inactive to
 * it), unless its owner holds every scope ("*", the built-in admin).
 */
export function introspect(ctx: DecisionContext, observe: DecisionObserver, options: IntrospectOptions, meter: SurfaceMeter): IntrospectHandler {
  const reportHoneytoken = (req: IncomingMessage, tokenId: string, route: string, usedAtMs: number) =>
    ctx.reportHoneytoken?.({ tokenId, surface: "introspect", sourceAddress: req.socket.remoteAddress ?? "", route, usedAtMs });
  const origin = new PlainOrigin();
  const answer = (req: IncomingMessage, res: ServerResponse): void => {
    if (req.method !== "POST") return invalidRequest(res, 405, "use POST", ["allow", "POST"]);

    // headersDistinct keeps a repeated Authorization header that req.headers would drop.
    const authorization = req.headersDistinct["authorization"];
    const credential = authorization !== undefined && authorization.length > 1 ? unreadableCredential : credentialFromHeader(authorization?.[0], true);
    if (typeof credential !== "string") {
      const refusal = credential === missingCredential ? missingTokenAnswer : invalidRequestAnswer;
      meter.refused(refusal);
      return refuse(res, refusal);
    }
    const callerMs = Date.now();
    const caller = decide(ctx, credential, options.introspectionScope, callerMs);
    // The resource server asking: where both its own token and the one it asks about were used from.
    origin.address = req.socket.remoteAddress ?? "";
    observe(caller, "introspect", callerMs, origin);
    if (!caller.valid) {
      refuse(res, denyAnswerFor(caller.code));
      if (caller.honeytoken) reportHoneytoken(req, caller.honeytoken.id, "POST /introspect (caller's bearer token)", callerMs);
      return;
    }

    if (!formType.test(req.headers["content-type"] ?? "")) return invalidRequest(res, 400, "the body must be application/x-www-form-urlencoded");
    if (Number(req.headers["content-length"] ?? 0) > maxBodyBytes) return invalidRequest(res, 413, `the body must be at most ${maxBodyBytes} bytes`);

    const chunks: Buffer[] = [];
    let size = 0;
    let over = false;
    req.on("data", (chunk: Buffer) => {
      size += chunk.length;
      if (size <= maxBodyBytes) chunks.push(chunk);
      else if (!over) {
        over = true;
        invalidRequest(res, 413, `the body must be at most ${maxBodyBytes} bytes`);
      }
    });
    // A client that goes away mid-body gets no answer; there is nothing to clean up.
    req.on("error", () => {});
    req.on("end", () => {
      if (over) return;
      const form = new URLSearchParams(Buffer.concat(chunks).toString("utf8"));
      const tokens = form.getAll("token");
      if (tokens.length !== 1 || tokens[0] === "") return invalidRequest(res, 400, "the form must hold exactly one token");
      if (form.getAll("token_type_hint").length > 1) return invalidRequest(res, 400, "token_type_hint may appear once");
      const nowMs = Date.now();
      const decision = decide(ctx, tokens[0]!, "", nowMs);
      origin.address = req.socket.remoteAddress ?? "";
      observe(decision, "introspect", nowMs, origin);
      send(res, 200, decision.valid && mayIntrospect(ctx, caller, decision) ? activeBody(decision) : inactiveBody);
      if (decision.honeytoken) reportHoneytoken(req, decision.honeytoken.id, "POST /introspect (token introspected)", nowMs);
    });
  };

  return (req, res) => {
    const startedMs = performance.now();
    // The answer may wait for the body: time it to the response, whichever way it ends.
    res.once("finish", () => meter.latency((performance.now() - startedMs) / 1000));
    answer(req, res);
  };
}
