// The head of an HTTP/1.1 forward-auth request, read straight off the socket
// (forward-auth-wire.ts). Deliberately narrow: it accepts only a plain, strictly
// well-formed request for /auth with no body, and says "not mine" to anything
// else — a body, an obsolete line fold, a bare CR or LF, a control character,
// HTTP/1.0, a missing or repeated Host, Expect, Upgrade, a Connection other
// than keep-alive — so that node:http, with its own parser, limits and
// answers, takes those connections over unchanged. A request it accepts has
// no body by construction (no Content-Length, no Transfer-Encoding), so the
// next request starts right after the blank line: there is nothing two
// parsers could disagree on.

/** A request head read whole, ending at `end` (just past its blank line). */
export interface AuthRequestHead {
  readonly method: string;
  /** "/auth" or "/auth?…", as received. */
  readonly url: string;
  /** Names and values as node:http's rawHeaders has them: names as sent, values trimmed. */
  readonly rawHeaders: string[];
  readonly end: number;
}

/** The bytes so far end inside a request head. */
export const incomplete: unique symbol = Symbol("incomplete request head");
/** A request this reader does not take: node:http answers it. */
export const notMine: unique symbol = Symbol("not a plain forward-auth request");

export type AuthRequestReading = AuthRequestHead | typeof incomplete | typeof notMine;

const CR = 13;
const LF = 10;
const SP = 32;
const HTAB = 9;
const COLON = 58;

/** RFC 9110 tchar, by char code. */
const tchar = new Uint8Array(128);
for (const c of "!#$%&'*+-.^_`|~0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz") tchar[c.charCodeAt(0)] = 1;

const headerEnd = Buffer.from("\r\n\r\n", "latin1");

/** Whether `name` (any case) is `lower`. */
function nameIs(name: string, lower: string): boolean {
  return name.length === lower.length && name.toLowerCase() === lower;
}

/** Methods node:http gives meaning this reader does not implement (no body on HEAD; CONNECT's target). */
const methodsNotMine = new Set(["HEAD", "CONNECT"]);

/**
 * Reads the request head starting at `start` in `data`. A head longer than
 * `maxHeadBytes`, or with more than `maxHeaders` fields, is not ours (node:http
 * answers 431 or reads it).
 */
export function readAuthRequestHead(data: Buffer, start: number, maxHeadBytes: number, maxHeaders: number): AuthRequestReading {
  const blank = data.indexOf(headerEnd, start);
  if (blank === -1) return data.length - start > maxHeadBytes ? notMine : incomplete;
  if (blank + 4 - start > maxHeadBytes) return notMine;
  const head = data.toString("latin1", start, blank + 2); // every line with its CRLF

  // Request line: METHOD SP /auth[?query] SP HTTP/1.1 CRLF, the method upper-case letters.
  let at = 0;
  while (at < head.length && head.charCodeAt(at) >= 65 && head.charCodeAt(at) <= 90) at++;
  if (at === 0 || head.charCodeAt(at) !== SP) return notMine;
  const method = head.slice(0, at);
  if (methodsNotMine.has(method)) return notMine;
  const urlStart = at + 1;
  at = urlStart;
  for (let c = head.charCodeAt(at); c > SP && c < 127 && c !== 35; c = head.charCodeAt(at)) at++; // up to SP; no '#'
  const url = head.slice(urlStart, at);
  if (!(url === "/auth" || url.startsWith("/auth?"))) return notMine;
  if (head.slice(at, at + 11) !== " HTTP/1.1\r\n") return notMine;
  at += 11;

  const rawHeaders: string[] = [];
  let hosts = 0;
  while (at < head.length) {
    const nameStart = at;
    for (let c = head.charCodeAt(at); c < 128 && tchar[c] === 1; c = head.charCodeAt(at)) at++;
    // No name (a fold, a stray CRLF) or anything but a colon right after it: not ours.
    if (at === nameStart || head.charCodeAt(at) !== COLON) return notMine;
    const name = head.slice(nameStart, at);
    at++;
    let valueStart = at;
    let valueEnd = at;
    for (;;) {
      const c = head.charCodeAt(at);
      if (c === CR) break;
      // Visible ASCII, space and tab only: obs-text, controls and bare LF go to node:http.
      if (c > SP ? c >= 127 : c !== SP && c !== HTAB) return notMine;
      at++;
      if (c !== SP && c !== HTAB) valueEnd = at;
      else if (valueEnd === valueStart) valueStart = valueEnd = at;
    }
    if (head.charCodeAt(at + 1) !== LF) return notMine;
    at += 2;
    const value = head.slice(valueStart, valueEnd);
    if (nameIs(name, "host")) hosts++;
    else if (nameIs(name, "content-length") || nameIs(name, "transfer-encoding") || nameIs(name, "expect") || nameIs(name, "upgrade")) return notMine;
    else if (nameIs(name, "connection") && value.toLowerCase() !== "keep-alive") return notMine;
    rawHeaders.push(name, value);
    if (rawHeaders.length > maxHeaders * 2) return notMine;
  }
  if (hosts !== 1) return notMine;
  return { method, url, rawHeaders, end: blank + 4 };
}
