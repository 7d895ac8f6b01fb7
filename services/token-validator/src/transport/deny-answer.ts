import type { RefusalCode } from "../domain/decision-code.js";

/**
 * How the HTTP-facing surfaces (ext_authz, forward-auth, introspection's
 * caller check) refuse a request. Built once at start; a refusal allocates
 * nothing. Statuses are limited to 401, 403 and 503 because nginx's
 * auth_request turns any other status from the auth server into a 500.
 */
export interface DenyAnswer {
  readonly status: 401 | 403 | 503;
  /** The reason as the body and the metrics name it: a DecisionCode, or missing_token, invalid_request, ambiguous_request. */
  readonly code: string;
  /** Response headers (lower-case names): WWW-Authenticate or Retry-After, content type and length. */
  readonly headers: readonly (readonly [string, string])[];
  /** The same headers flattened for node:http's writeHead. */
  readonly flatHeaders: readonly string[];
  /** `{"code":"…"}`. */
  readonly body: string;
}

/** Seconds a stale validator asks the caller to wait: about one feed poll. */
const staleRetryAfterSeconds = "1";

function denyAnswer(status: DenyAnswer["status"], code: string, challenge: [string, string] | undefined): DenyAnswer {
  const body = JSON.stringify({ code });
  const headers: [string, string][] = [
    ...(challenge ? [challenge] : []),
    ["content-type", "application/json"],
    ["cache-control", "no-store"],
    ["content-length", String(Buffer.byteLength(body))],
  ];
  return Object.freeze({ status, code, headers, flatHeaders: headers.flat(), body });
}

const invalidToken = (code: string) => denyAnswer(401, code, ["www-authenticate", 'Bearer error="invalid_token"']);

/** No credential, or one in a scheme other than Bearer: RFC 6750 §3.1 gives no error code then. */
export const missingTokenAnswer: DenyAnswer = denyAnswer(401, "missing_token", ["www-authenticate", "Bearer"]);

/** Repeated, oversized or empty credentials. A 401 rather than RFC 6750's 400, which nginx would turn into a 500. */
export const invalidRequestAnswer: DenyAnswer = denyAnswer(401, "invalid_request", ["www-authenticate", 'Bearer error="invalid_request"']);

/** The proxy named the original request twice, differently (X-Original-URI vs X-Forwarded-Uri): the route cannot be trusted. */
export const ambiguousRequestAnswer: DenyAnswer = denyAnswer(403, "ambiguous_request", undefined);

/** The HTTP-facing surfaces' one mapping of a refusal (a Record, so a new RefusalCode is a compile error). */
const answers: Readonly<Record<RefusalCode, DenyAnswer>> = Object.freeze({
  malformed: invalidToken("malformed"),
  not_found: invalidToken("not_found"),
  expired: invalidToken("expired"),
  revoked: invalidToken("revoked"),
  disabled: invalidToken("disabled"),
  owner_disabled: invalidToken("owner_disabled"),
  tokens_disabled: invalidToken("tokens_disabled"),
  insufficient_scope: denyAnswer(403, "insufficient_scope", ["www-authenticate", 'Bearer error="insufficient_scope"']),
  // Fail closed, visibly: not a verdict on the token, so not a 401 that makes clients drop it.
  stale: denyAnswer(503, "stale", ["retry-after", staleRetryAfterSeconds]),
  // A partial validator cannot judge the value (another organisation's token, or a forgery): a 401's
  // invalid_token would tell clients to drop a token that may be good elsewhere, and a retry here
  // never helps (no 503). A 403 without a challenge, as for an ambiguous request: not accepted here.
  not_served: denyAnswer(403, "not_served", undefined),
});

/** The refusal for a decision that is not valid. */
export function denyAnswerFor(code: RefusalCode): DenyAnswer {
  return answers[code];
}

/** Every refusal the surfaces can give, for building per-surface tables at start. */
export function allDenyAnswers(): readonly DenyAnswer[] {
  return [...Object.values(answers), missingTokenAnswer, invalidRequestAnswer, ambiguousRequestAnswer];
}
