import type { IncomingMessage, OutgoingHttpHeader, ServerResponse } from "node:http";
import type { DecisionContext } from "../domain/decide.js";
import type { DecisionObserver } from "../domain/surface.js";
import { AcceptedAnswers } from "./accepted-answers.js";
import { credentialFromHeader, missingCredential, unreadableCredential } from "./credential.js";
import { ambiguousRequestAnswer, denyAnswerFor, invalidRequestAnswer, missingTokenAnswer, type DenyAnswer } from "./deny-answer.js";
import type { IdentityHeaderNames } from "./identity-headers.js";
import { pathForMatching, type RouteTable } from "./route-table.js";
import type { SurfaceMeter } from "./validator-metrics.js";
import { PlainOrigin } from "./peer-origin.js";

/** Forward-auth settings, from the validator config. */
export interface ForwardAuthOptions {
  /** Lower case; "authorization" expects "Bearer <token>", any other header the bare token. */
  readonly tokenHeader: string;
  readonly identityHeaders: IdentityHeaderNames;
  readonly routes: RouteTable;
}

/** Handles one forward-auth request; `url` is the request target ("/auth?scope=…"). */
export type ForwardAuthHandler = (req: IncomingMessage, res: ServerResponse, url: string) => void;

/** Whether a raw header name equals a lower-case one, ignoring case, without allocating. */
function isHeader(name: string, lower: string): boolean {
  if (name.length !== lower.length) return false;
  // `| 0x20` folds ASCII upper case onto lower case; header names hold no characters it could confuse.
  for (let i = 0; i < lower.length; i++) if ((name.charCodeAt(i) | 0x20) !== lower.charCodeAt(i)) return false;
  return true;
}

/** What a proxy told us about the request it is asking about. */
interface Original {
  credential: string | undefined;
  credentials: number;
  originalMethod: string | undefined;
  originalUri: string | undefined;
  forwardedMethod: string | undefined;
  forwardedUri: string | undefined;
  /** X-Forwarded-For as received (the client first): where the use came from. */
  forwardedFor: string | undefined;
  /** The same X-Original-* or X-Forwarded-* header came twice with different values. */
  conflicting: boolean;
}

/** One value per name; a repeat with a different value marks the request conflicting. */
function once(original: Original, seen: string | undefined, value: string): string {
  if (seen !== undefined && seen !== value) original.conflicting = true;
  return value;
}

/**
 * Reads the credential and the original request's method and URI in one pass
 * over the raw headers: Node's req.headers is built lazily and would keep only
 * the first of two Authorization headers, hiding the repeat we must refuse.
 */
function readOriginal(raw: readonly string[], tokenHeader: string, original: Original): void {
  for (let i = 0; i < raw.length; i += 2) {
    const name = raw[i]!;
    const value = raw[i + 1]!;
    if (isHeader(name, tokenHeader)) {
      original.credential = value;
      original.credentials++;
    } else if (name.length < 14 || (name.charCodeAt(0) | 0x20) !== 0x78) {
      // Not an "x-…" header as long as those below: skip without comparing.
    } else if (isHeader(name, "x-original-uri")) original.originalUri = once(original, original.originalUri, value);
    else if (isHeader(name, "x-original-method")) original.originalMethod = once(original, original.originalMethod, value);
    else if (isHeader(name, "x-forwarded-uri")) original.forwardedUri = once(original, original.forwardedUri, value);
    else if (isHeader(name, "x-forwarded-method")) original.forwardedMethod = once(original, original.forwardedMethod, value);
    else if (isHeader(name, "x-forwarded-for")) original.forwardedFor = value;
  }
}

/** ?scope=… on the auth URL (fixed in the proxy's config, so few distinct URLs): parsed once per URL. */
function scopeCache(): (url: string) => string | undefined {
  const cache = new Map<string, string | undefined>();
  return (url) => {
    let scope = cache.get(url);
    if (scope === undefined && !cache.has(url)) {
      const query = url.indexOf("?");
      scope = query === -1 ? undefined : (new URLSearchParams(url.slice(query + 1)).get("scope") ?? undefined);
      // A bounded cache: clients cannot choose this URL, but a misconfiguration should not grow memory.
      if (cache.size < 1000) cache.set(url, scope);
    }
    return scope;
  };
}

function deny(res: ServerResponse, answer: DenyAnswer): void {
  res.writeHead(answer.status, answer.flatHeaders as OutgoingHttpHeader[]);
  res.end(answer.body);
}

/** One forward-auth request, as node:http or the socket reader (forward-auth-wire.ts) read it. */
export interface AuthRequest {
  method: string;
  /** The request target ("/auth?scope=…"). */
  url: string;
  rawHeaders: readonly string[];
  /** The peer's address (the proxy's, when it says nothing of the client); read only for a request that reaches a decision. */
  readonly remoteAddress: string;
}

/** Where an answer goes: node:http's response, or the socket itself. */
export interface AuthReply {
  /** 200, with these headers (flat name, value pairs: identity, scopes, an empty body's length). */
  accepted(headers: readonly string[]): void;
  refused(answer: DenyAnswer): void;
}

/** Decides forward-auth requests; answering is synchronous, so `request` and `reply` may be reused objects. */
export type ForwardAuthAnswerer = (request: AuthRequest, reply: AuthReply) => void;

/**
 * HTTP forward-auth for nginx auth_request, Caddy forward_auth and Traefik
 * ForwardAuth, each called as it is: the token from the configured header, the
 * original method and URI from X-Original-Method/-URI (nginx) or
 * X-Forwarded-Method/-Uri (Caddy, Traefik), the scope from the auth URL's
 * ?scope= or else the route table. 200 with identity headers, or 401/403/503
 * with WWW-Authenticate and a small JSON body. No I/O, no logging.
 */
export function forwardAuthAnswerer(ctx: DecisionContext, observe: DecisionObserver, options: ForwardAuthOptions, meter: SurfaceMeter): ForwardAuthAnswerer {
  const { tokenHeader, identityHeaders: names, routes } = options;
  const bearer = tokenHeader === "authorization";
  const scopeOf = scopeCache();
  const answers = new AcceptedAnswers(ctx, names);

  const refuse = (reply: AuthReply, answer: DenyAnswer) => {
    meter.refused(answer);
    reply.refused(answer);
  };

  // Reused: answering is synchronous, so one request's reading never overlaps another's.
  const original: Original = { credential: undefined, credentials: 0, originalMethod: undefined, originalUri: undefined, forwardedMethod: undefined, forwardedUri: undefined, forwardedFor: undefined, conflicting: false };
  const origin = new PlainOrigin();

  // After the answer is sent, from what this request's use origin already holds (token-admin trims both).
  const reportHoneytoken = (request: AuthRequest, tokenId: string, usedAtMs: number) => {
    if (!ctx.reportHoneytoken) return;
    const method = original.originalMethod ?? original.forwardedMethod ?? request.method;
    ctx.reportHoneytoken({ tokenId, surface: "forward_auth", sourceAddress: origin.address, route: `${method} ${origin.route}`.trim(), usedAtMs });
  };

  const answer = (request: AuthRequest, reply: AuthReply): void => {
    original.credential = original.originalMethod = original.originalUri = original.forwardedMethod = original.forwardedUri = original.forwardedFor = undefined;
    original.credentials = 0;
    original.conflicting = false;
    readOriginal(request.rawHeaders, tokenHeader, original);
    const credential = original.credentials > 1 ? unreadableCredential : credentialFromHeader(original.credential, bearer);
    original.credential = undefined; // hold no token past this request
    if (typeof credential !== "string") return refuse(reply, credential === missingCredential ? missingTokenAnswer : invalidRequestAnswer);

    let scope = scopeOf(request.url);
    if (scope === undefined) {
      const { originalUri, forwardedUri, originalMethod, forwardedMethod } = original;
      // Two proxies' worth of headers that disagree: one of them came from the client.
      const disagree = (originalUri !== undefined && forwardedUri !== undefined && originalUri !== forwardedUri) || (originalMethod !== undefined && forwardedMethod !== undefined && originalMethod !== forwardedMethod);
      if (original.conflicting || disagree) return refuse(reply, ambiguousRequestAnswer);
      const uri = originalUri ?? forwardedUri;
      if (uri === undefined) {
        // With routes configured, a proxy that does not say which URI it asks about cannot be answered safely.
        if (!routes.empty) return refuse(reply, ambiguousRequestAnswer);
        scope = "";
      } else {
        const path = pathForMatching(uri);
        if (path === undefined) return refuse(reply, ambiguousRequestAnswer);
        scope = routes.requiredScope(originalMethod ?? forwardedMethod ?? request.method, path);
      }
    }

    const nowMs = Date.now();
    const decision = answers.decide(credential, scope, nowMs);
    // The proxy's X-Forwarded-For names the client (trimmed to its first address on the admin side); else the proxy itself.
    origin.address = original.forwardedFor ?? request.remoteAddress;
    origin.route = original.originalUri ?? original.forwardedUri ?? "";
    observe(decision, "forward_auth", nowMs, origin);
    if (!decision.valid) {
      reply.refused(denyAnswerFor(decision.code));
      if (decision.honeytoken) reportHoneytoken(request, decision.honeytoken.id, nowMs);
      return;
    }
    reply.accepted(answers.headers);
  };

  return (request, reply) => {
    const startedMs = performance.now();
    answer(request, reply);
    meter.latency((performance.now() - startedMs) / 1000);
  };
}

/** node:http's side of forward-auth: the request's parts read in place, the answer written to its response. */
export function forwardAuthOverHttp(answer: ForwardAuthAnswerer): ForwardAuthHandler {
  let current: IncomingMessage | undefined;
  let response: ServerResponse | undefined;
  const request: AuthRequest = {
    method: "GET",
    url: "/auth",
    rawHeaders: [],
    // Read when asked: a request refused before any decision never needs it.
    get remoteAddress() {
      return current?.socket.remoteAddress ?? "";
    },
  };
  const reply: AuthReply = {
    accepted(headers) {
      response!.writeHead(200, headers as OutgoingHttpHeader[]);
      response!.end();
    },
    refused(answer) {
      deny(response!, answer);
    },
  };
  return (req, res, url) => {
    request.method = req.method ?? "GET";
    request.url = url;
    request.rawHeaders = req.rawHeaders;
    current = req;
    response = res;
    try {
      answer(request, reply);
    } finally {
      current = undefined;
      response = undefined;
      request.rawHeaders = [];
    }
  };
}

/** Forward-auth as a node:http handler (forwardAuthAnswerer answering through forwardAuthOverHttp). */
export function forwardAuth(ctx: DecisionContext, observe: DecisionObserver, options: ForwardAuthOptions, meter: SurfaceMeter): ForwardAuthHandler {
  return forwardAuthOverHttp(forwardAuthAnswerer(ctx, observe, options, meter));
}
