import type { IncomingHttpHeaders, IncomingMessage } from "node:http";
import { refusalFor, tokenFromAuthorization, type Refusal } from "./refusal.js";
import type { TesseraIdentity } from "./validation.js";
import { ValidatorCallError, type ValidatorClient } from "./validator-client.js";

/** What the middleware needs to know: the validator, and the scope a request needs. */
export interface GuardOptions<Request> {
  readonly validator: ValidatorClient;
  /** The scope every request must carry, or a function choosing it per request; default: any valid token. */
  readonly scope?: string | ((request: Request) => string);
}

/** Either who the request speaks for, or how to refuse it. */
export type Checked = { readonly identity: TesseraIdentity } | { readonly refusal: Refusal };

const first = (value: string | string[] | undefined) => (Array.isArray(value) ? value[0] : value);

/**
 * Asks the validator about the request's Bearer token. `headers` must keep
 * repeats apart (Node's `headersDistinct`): two Authorization headers are
 * refused, never chosen between. The caller's W3C trace context goes along.
 */
export async function checkRequest(validator: ValidatorClient, raw: IncomingMessage, scope: string): Promise<Checked> {
  const token = tokenFromAuthorization(raw.headersDistinct.authorization);
  if (typeof token !== "string") return { refusal: token };
  const headers: IncomingHttpHeaders = raw.headers;
  let answer;
  try {
    answer = await validator.validateToken(token, { scope, traceContext: { traceparent: first(headers.traceparent), tracestate: first(headers.tracestate) } });
  } catch (err) {
    if (!(err instanceof ValidatorCallError)) throw err;
    answer = err;
  }
  const refusal = refusalFor(answer, scope);
  return refusal ? { refusal } : { identity: (answer as { identity: TesseraIdentity }).identity };
}

/** The scope option for one request. */
export function scopeFor<Request>(options: GuardOptions<Request>, request: Request): string {
  return typeof options.scope === "function" ? options.scope(request) : (options.scope ?? "");
}
