import type { Socket } from "node:net";
import type { Logger } from "@tessera/shared/log/logger";
import { incomplete, notMine, readAuthRequestHead } from "./auth-request-head.js";
import type { DenyAnswer } from "./deny-answer.js";
import type { AuthReply, AuthRequest, ForwardAuthAnswerer } from "./forward-auth.js";
import { boundCheckIntervalMs, maxHeaderBytes, type ConnectionFrontEnd } from "./http-server.js";

// Forward-auth answered straight off the socket. A proxy asks /auth on
// keep-alive connections, one small GET after another, and node:http's
// per-request machinery (IncomingMessage, ServerResponse, their streams and
// timers) costs several times the decision itself. So each connection is read
// here first: a plain request for /auth (auth-request-head.ts says which) is
// answered by the same ForwardAuthAnswerer node:http's route uses, in the
// bytes node:http would write; anything else — another path, a body, a head
// split across reads, anything unusual — hands the connection, with the bytes
// not yet answered, to node:http for the rest of its life.

/** What the reader needs to know of the listener's bounds. */
export interface ForwardAuthWireOptions {
  /** A new connection must send a whole request head within this. */
  readonly headersTimeoutMs: number;
  /** A connection idle after an answer is closed after this (plus a second, as node:http does). */
  readonly idleTimeoutMs: number;
  readonly log: Logger;
}

/** Fields past this go to node:http (its default maxHeadersCount is 2000). */
const maxHeaders = 100;
/** Node closes a keep-alive connection this long after the timeout it advertises, so a reuse at the last moment is not reset. */
const keepAliveGraceMs = 1000;
/** Answers waiting to be read by a client that does not read them: past this, it is not read from until it does. */
const maxUnsentBytes = 64 * 1024;

const reasons: Readonly<Record<number, string>> = { 200: "OK", 401: "Unauthorized", 403: "Forbidden", 500: "Internal Server Error", 503: "Service Unavailable" };

/** Header lines as node:http writes them for writeHead(status, flatHeaders), up to its Date line. */
function headLines(status: number, flat: readonly string[]): string {
  let lines = `HTTP/1.1 ${status} ${reasons[status]}\r\n`;
  for (let i = 0; i < flat.length; i += 2) {
    const value = flat[i + 1]!;
    // node:http refuses such a value (ERR_INVALID_CHAR); an identity header never holds one.
    if (/[^\t\x20-\x7e\x80-\xff]/.test(value)) throw new Error(`invalid character in the ${flat[i]} header`);
    lines += `${flat[i]}: ${value}\r\n`;
  }
  return lines;
}

/** The Date header's value, made once a second as node:http does. */
function utcDateClock(): (nowMs: number) => string {
  let second = -1;
  let text = "";
  return (nowMs) => {
    const now = Math.floor(nowMs / 1000);
    if (now !== second) {
      second = now;
      text = new Date(now * 1000).toUTCString();
    }
    return text;
  };
}

const internalError = `HTTP/1.1 500 Internal Server Error\r\ncontent-type: text/plain\r\ncache-control: no-store\r\ncontent-length: 15\r\n`;

interface Connection {
  readonly socket: Socket;
  readonly remoteAddress: string;
  /** Since when the current bound runs: the connection's start, then each answer's. */
  sinceMs: number;
  /** Answered at least once: the idle bound applies, not the headers bound. */
  answered: boolean;
}

/**
 * The front end of the validator's HTTP listener: answers plain forward-auth
 * requests itself, and hands every other connection to node:http.
 */
export function forwardAuthWire(answer: ForwardAuthAnswerer, options: ForwardAuthWireOptions): ConnectionFrontEnd {
  const held = new Set<Connection>();
  const date = utcDateClock();
  const keepAlive = `Connection: keep-alive\r\nKeep-Alive: timeout=${Math.floor(options.idleTimeoutMs / 1000)}\r\n\r\n`;
  // Each remembered acceptance's headers are one array for as long as it is remembered: its lines are made once.
  const acceptedLines = new WeakMap<readonly string[], string>();
  const refusedLines = new Map<DenyAnswer, string>();

  // Reused: answering is synchronous.
  const request: { -readonly [K in keyof AuthRequest]: AuthRequest[K] } = { method: "GET", url: "/auth", rawHeaders: [], remoteAddress: "" };
  let out = "";
  let nowMs = 0;
  const reply: AuthReply = {
    accepted(headers) {
      let lines = acceptedLines.get(headers);
      if (lines === undefined) {
        lines = headLines(200, headers);
        acceptedLines.set(headers, lines);
      }
      out += `${lines}Date: ${date(nowMs)}\r\n${keepAlive}`;
    },
    refused(deny) {
      let lines = refusedLines.get(deny);
      if (lines === undefined) {
        lines = headLines(deny.status, deny.flatHeaders);
        refusedLines.set(deny, lines);
      }
      out += `${lines}Date: ${date(nowMs)}\r\n${keepAlive}${deny.body}`;
    },
  };

  // The bounds node:http keeps for its own connections, kept here by a sweep as node:http does (within a quarter).
  const sweep = setInterval(() => {
    const now = Date.now();
    for (const connection of held) {
      const bound = connection.answered ? options.idleTimeoutMs + keepAliveGraceMs : options.headersTimeoutMs;
      if (now - connection.sinceMs >= bound) connection.socket.destroy();
    }
  }, boundCheckIntervalMs(Math.min(options.headersTimeoutMs, options.idleTimeoutMs)));
  sweep.unref();

  return {
    accept(socket, handOn) {
      const connection: Connection = { socket, remoteAddress: socket.remoteAddress ?? "", sinceMs: Date.now(), answered: false };
      held.add(connection);
      const release = () => {
        held.delete(connection);
        socket.off("data", onData);
        socket.off("error", onError);
        socket.off("end", onEnd);
        socket.off("close", release);
        socket.off("drain", onDrain);
      };
      const onError = () => socket.destroy();
      // The client is done sending: what it was answered is flushed, then the connection ends.
      const onEnd = () => socket.end();
      const onDrain = () => socket.resume();
      const onData = (chunk: Buffer) => {
        nowMs = Date.now();
        let at = 0;
        out = "";
        try {
          for (;;) {
            // A head past node:http's limit is its to answer (431).
            const head = readAuthRequestHead(chunk, at, maxHeaderBytes, maxHeaders);
            if (head === incomplete || head === notMine) break;
            request.method = head.method;
            request.url = head.url;
            request.rawHeaders = head.rawHeaders;
            request.remoteAddress = connection.remoteAddress;
            answer(request, reply);
            at = head.end;
            if (at === chunk.length) break;
          }
        } catch (err) {
          // A bug, as on node:http's side: logged without the request, answered 500, the connection closed.
          options.log.error({ err, path: "/auth" }, "http handler failed");
          socket.end(`${out}${internalError}Date: ${date(nowMs)}\r\nConnection: close\r\n\r\ninternal error\n`, "latin1", () => socket.destroy());
          release();
          return;
        } finally {
          request.rawHeaders = [];
        }
        if (out !== "") {
          connection.sinceMs = nowMs;
          connection.answered = true;
          // A client that sends requests and reads no answers is not read from until it does.
          if (!socket.write(out, "latin1") && socket.writableLength > maxUnsentBytes) {
            socket.pause();
            socket.once("drain", onDrain);
          }
          out = "";
        }
        if (at < chunk.length) {
          // Not a request this reader answers, or one not yet whole: node:http reads on from its first byte.
          release();
          socket.pause();
          socket.unshift(at === 0 ? chunk : chunk.subarray(at));
          handOn(socket);
        }
      };
      socket.on("data", onData);
      socket.on("error", onError);
      socket.on("end", onEnd);
      socket.on("close", release);
    },
    closeAll() {
      clearInterval(sweep);
      // Every connection held here is idle: its answers were written as its requests were read.
      for (const connection of held) connection.socket.destroy();
    },
  };
}
