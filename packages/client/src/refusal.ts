import type { Validation } from "./validation.js";
import { ValidatorCallError } from "./validator-client.js";

/** An HTTP answer refusing a request, the same as the validator's forward-auth gives. */
export interface Refusal {
  readonly status: 401 | 403 | 503;
  readonly headers: Readonly<Record<string, string>>;
  /** `{"code":"…"}` */
  readonly body: string;
}

/** Tokens are 44 characters; a header far longer than that is not read. */
const maxCredentialLength = 512;

/** A header value's token, or the refusal for a request that carries none we can use (RFC 6750). */
export function tokenFromAuthorization(values: readonly string[] | undefined): string | Refusal {
  if (values === undefined || values.length === 0 || values[0] === "") return refusal(401, "missing_token", 'Bearer');
  const value = values[0]!;
  if (values.length > 1 || value.length > maxCredentialLength || value.includes(",")) return refusal(401, "invalid_request", 'Bearer error="invalid_request"');
  const match = /^bearer +(\S+)\s*$/i.exec(value);
  // Another scheme (Basic…) is no Bearer credential at all.
  if (!match) return /^bearer\b/i.test(value) ? refusal(401, "invalid_request", 'Bearer error="invalid_request"') : refusal(401, "missing_token", "Bearer");
  return match[1]!;
}

/** Undefined for a valid answer; otherwise how to refuse. A validator that could not be asked, or cannot prove itself current, is a 503: fail closed. */
export function refusalFor(answer: Validation | ValidatorCallError, scope: string): Refusal | undefined {
  if (answer instanceof ValidatorCallError) return refusal(503, "unavailable", undefined);
  if (answer.valid) return undefined;
  if (answer.code === "stale") return refusal(503, "stale", undefined);
  // As the validator's forward-auth answers it: not accepted here, but no verdict on the token.
  if (answer.code === "not_served") return refusal(403, answer.code, undefined);
  if (answer.code === "insufficient_scope") return refusal(403, answer.code, `Bearer error="insufficient_scope", scope="${scope}"`);
  return refusal(401, answer.code, 'Bearer error="invalid_token"');
}

function refusal(status: Refusal["status"], code: string, challenge: string | undefined): Refusal {
  const headers: Record<string, string> = { "content-type": "application/json", "cache-control": "no-store" };
  if (challenge) headers["www-authenticate"] = challenge;
  if (status === 503) headers["retry-after"] = "1";
  return { status, headers, body: JSON.stringify({ code }) };
}
