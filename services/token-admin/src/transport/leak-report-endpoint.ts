import type * as http from "node:http";
import type * as http2 from "node:http2";
import type { Logger } from "@tessera/shared/log/logger";
import { verifyGithubSignature, type GithubKeys } from "../crypto/github-signature.js";
import type { AdminDeps } from "../domain/admin-deps.js";
import { reportLeakedTokens, type FoundToken } from "../domain/leaks/report-leaked-tokens.js";
import type { ReportLimiter } from "../domain/leaks/report-limiter.js";
import { peerAddress } from "./listen-http.js";

type Request = http.IncomingMessage | http2.Http2ServerRequest;

/** The parts of a node:http or node:http2 response (or connect-node's view of one) an answer needs. */
interface Response {
  readonly headersSent: boolean;
  writeHead(status: number, headers: Record<string, string>): unknown;
  end(body: string): unknown;
}

/** Where reports are posted, on the admin port, without credentials. */
export const leakReportPath = "/v1/leaks";
/** The most tokens one report may name. */
export const maxReportedTokens = 1000;
/** The most bytes a report may have: 1,000 tokens with URLs of a few hundred characters. */
export const maxReportBytes = 1024 * 1024;
const maxTokenChars = 512;
const maxUrlChars = 2048;
const maxLabelChars = 200;

export interface LeakReportOptions {
  /** GitHub secret scanning's keys (empty: signed reports are refused). */
  readonly githubKeys: GithubKeys;
  /** Per source address; signed GitHub reports are exempt. */
  readonly limiter: ReportLimiter;
}

export interface LeakReportEndpoint {
  /** Answers the request if it is for the leak endpoint; false if it is not. */
  serve(req: Request, res: Response): boolean;
  /** Waits for reports accepted but not yet applied (at shutdown, and in tests). */
  settled(): Promise<void>;
}

/** The one answer a well-formed report gets, whatever it named. */
const acceptedBody = JSON.stringify({ status: "accepted" });

function answer(res: Response, status: number, body: object, headers: Record<string, string> = {}): void {
  const text = JSON.stringify(body);
  res.writeHead(status, { "content-type": "application/json", "cache-control": "no-store", "content-length": String(Buffer.byteLength(text)), ...headers });
  res.end(text);
}

const refuse = (res: Response, status: number, message: string, headers?: Record<string, string>) => answer(res, status, { error: message }, headers);

/** An optional string field of one entry, bounded; throws a message naming it. */
function optionalText(entry: Record<string, unknown>, field: string, index: number, max: number): string | undefined {
  const value = entry[field];
  if (value === undefined || value === null) return undefined;
  if (typeof value !== "string" || value.length > max) throw new Error(`[${index}].${field} must be a string of at most ${max} characters`);
  return value;
}

/**
 * A report's body: a JSON array (GitHub's partner format) of
 * `{token, url?, source?, type?}`; other fields are ignored, as GitHub may add
 * some. Throws a message for the reporter; `tooMany` when past the count bound.
 */
export function parseLeakReport(body: Buffer): FoundToken[] | { tooMany: true } {
  let parsed: unknown;
  try {
    parsed = JSON.parse(body.toString("utf8"));
  } catch {
    throw new Error("the body must be JSON");
  }
  if (!Array.isArray(parsed)) throw new Error('the body must be a JSON array of {"token", "url", "source"}');
  if (parsed.length === 0) throw new Error("name at least one token");
  if (parsed.length > maxReportedTokens) return { tooMany: true };
  return parsed.map((entry: unknown, index) => {
    if (typeof entry !== "object" || entry === null || Array.isArray(entry)) throw new Error(`[${index}] must be an object`);
    const fields = entry as Record<string, unknown>;
    const token = fields["token"];
    if (typeof token !== "string" || token.length === 0 || token.length > maxTokenChars) throw new Error(`[${index}].token must be a string of 1 to ${maxTokenChars} characters`);
    return {
      value: token,
      url: optionalText(fields, "url", index, maxUrlChars),
      source: optionalText(fields, "source", index, maxLabelChars),
      type: optionalText(fields, "type", index, maxLabelChars),
    };
  });
}

/** Reads the body up to `max` bytes; undefined when it is longer. */
function readBody(req: Request, max: number): Promise<Buffer | undefined> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on("data", (chunk: Buffer) => {
      size += chunk.length;
      if (size > max) {
        resolve(undefined);
        req.removeAllListeners("data");
        req.resume();
        return;
      }
      chunks.push(chunk);
    });
    req.on("end", () => resolve(Buffer.concat(chunks)));
    req.on("error", reject);
  });
}

/**
 * The public leak-report endpoint: `POST /v1/leaks` with a JSON array of found
 * tokens. No credentials; limited per source address. A request signed by
 * GitHub secret scanning (Github-Public-Key-Identifier and -Signature headers)
 * must verify against the operator's keys (else 401) and is not limited.
 *
 * A well-formed report is answered 202 with the same body whatever it named,
 * and applied after the answer is sent, so neither the answer nor its timing
 * says whether a token existed. Malformed: 400; past the bounds: 413.
 */
export function leakReportEndpoint(deps: AdminDeps, options: LeakReportOptions, log: Logger): LeakReportEndpoint {
  const pending = new Set<Promise<unknown>>();

  const handle = async (req: Request, res: Response) => {
    const address = peerAddress(req);
    const keyId = req.headers["github-public-key-identifier"];
    const signature = req.headers["github-public-key-signature"];
    const signed = keyId !== undefined || signature !== undefined;
    if (!signed) {
      const verdict = options.limiter.take(address);
      if (!verdict.allowed) return refuse(res, 429, "too many reports from this address; try again later", { "retry-after": String(Math.ceil(verdict.retryAfterMs / 1000)) });
    }
    if (!/^application\/json\s*(;|$)/i.test(String(req.headers["content-type"] ?? ""))) return refuse(res, 415, "the body must be application/json");
    if (Number(req.headers["content-length"] ?? 0) > maxReportBytes) return refuse(res, 413, `the body must be at most ${maxReportBytes} bytes`, { connection: "close" });
    const body = await readBody(req, maxReportBytes);
    if (body === undefined) return refuse(res, 413, `the body must be at most ${maxReportBytes} bytes`, { connection: "close" });
    if (signed) {
      const ok = typeof keyId === "string" && typeof signature === "string" && verifyGithubSignature(options.githubKeys, keyId, signature, body);
      if (!ok) {
        // A failed signature costs the source like any report, so it cannot be used to probe for free.
        options.limiter.take(address);
        return refuse(res, 401, "the GitHub signature does not verify against the configured keys");
      }
    }
    let tokens: FoundToken[];
    try {
      const parsed = parseLeakReport(body);
      if ("tooMany" in parsed) return refuse(res, 413, `name at most ${maxReportedTokens} tokens`);
      tokens = parsed;
    } catch (err) {
      return refuse(res, 400, (err as Error).message);
    }
    res.writeHead(202, { "content-type": "application/json", "cache-control": "no-store", "content-length": String(Buffer.byteLength(acceptedBody)) });
    res.end(acceptedBody);
    const applying = reportLeakedTokens(deps, { reporterAddress: address, via: signed ? "github" : "public", tokens })
      .then((outcome) => outcome.revoked > 0 && log.warn({ revoked: outcome.revoked, via: signed ? "github" : "public", reporter: address }, "leaked tokens revoked"))
      .catch((err: unknown) => log.error({ err, reporter: address }, "leak report not applied"));
    pending.add(applying);
    void applying.finally(() => pending.delete(applying));
  };

  return {
    serve(req, res) {
      const path = (req.url ?? "").split("?")[0];
      if (path !== leakReportPath) return false;
      if (req.method !== "POST") {
        refuse(res, 405, "use POST", { allow: "POST" });
        return true;
      }
      handle(req, res).catch((err: unknown) => {
        log.error({ err }, "leak report failed");
        if (!res.headersSent) refuse(res, 500, "internal error");
      });
      return true;
    },
    async settled() {
      await Promise.all([...pending]);
    },
  };
}
