import type * as http from "node:http";
import * as http2 from "node:http2";
import type { AddressInfo, Socket } from "node:net";
import type { TLSSocket } from "node:tls";
import { createServer } from "@httptoolkit/httpolyglot";
import type { ConnectionLimits } from "@tessera/shared/config/load-config";
import type { ServerTls } from "@tessera/shared/config/tls-config";

/** A request handler both http and http2 servers accept (connect-node's adapter is one). */
export type NodeHandler = (req: http.IncomingMessage | http2.Http2ServerRequest, res: http.ServerResponse | http2.Http2ServerResponse) => void;

export interface HttpListener {
  /** The bound port (useful when 0 was asked for). */
  readonly port: number;
  /** Accepted connections not yet closed (for a gauge). */
  openConnections(): number;
  /** Stops accepting, lets in-flight requests finish for `graceMs`, then cuts the rest. */
  close(graceMs: number): Promise<void>;
}

export interface ListenOptions {
  host: string;
  port: number;
  limits: ConnectionLimits;
  /** Bounds a request's headers; generous for a bearer token and gRPC metadata. */
  maxHeaderBytes?: number;
  /** Told of each connection refused at the cap (for a metric; nothing is logged per refusal). */
  onRefused?: () => void;
  /** Set: TLS only, HTTP/2 and HTTP/1.1 chosen by ALPN — no sniffing needed. */
  tls?: ServerTls | undefined;
}

/**
 * The client's address. For HTTP/2, httpolyglot makes Node wrap the socket in a
 * JS stream whose own remoteAddress is undefined; the real socket is its `stream`.
 */
export function peerAddress(req: http.IncomingMessage | http2.Http2ServerRequest): string {
  const socket = req.socket as Socket & { stream?: Socket };
  return socket.remoteAddress ?? socket.stream?.remoteAddress ?? "unknown";
}

/** An HTTP/1.1 socket, or an HTTP/2 session (which then stands for its socket). */
type Connection = Socket | http2.Http2Session;

interface Tracked {
  /** Requests whose answers are not yet sent. */
  inFlight: number;
  /** The bound of the phase the connection is in: headers, or idle. Unset while requests are in flight. */
  timer: NodeJS.Timeout | undefined;
}

const isSession = (connection: Connection): connection is http2.Http2Session => "goaway" in connection;

/** The accepted socket under a session: Node wraps what httpolyglot hands over, keeping the original as `stream`. */
const socketOf = (session: http2.Http2Session) => ((session.socket as Socket & { stream?: Socket }).stream ?? session.socket) as Socket;

/**
 * Serves one handler for gRPC (HTTP/2) and for Connect JSON and gRPC-Web over
 * HTTP/1.1 on one port. Over TLS, ALPN picks the protocol (h2 or http/1.1). In
 * cleartext, Node's http2 server ignores `allowHTTP1`, so httpolyglot sniffs each
 * connection's first bytes (the HTTP/2 preface starts with "PRI") and hands it to
 * the right server.
 *
 * Node's own headersTimeout and requestTimeout never reach sockets handed over
 * that way (they are checked only for servers that listen themselves), and its
 * HTTP/2 server has no idle bound, so every phase is bounded here instead,
 * per `limits`: the TLS handshake by its own timeout, then the same phases.
 */
export async function listenHttp(handler: NodeHandler, options: ListenOptions): Promise<HttpListener> {
  const { limits } = options;
  const maxHeaderBytes = options.maxHeaderBytes ?? 16 * 1024;
  const connections = new Map<Connection, Tracked>();
  // Every accepted socket until it closes, for the final cut at shutdown.
  const sockets = new Set<Socket>();
  let closing = false;

  // Ends a connection that has nothing in flight: GOAWAY for a session (it closes once its streams
  // are done), FIN for a socket.
  const end = (connection: Connection) => (isSession(connection) ? connection.close() : connection.end());
  // Past a bound the socket is cut: ending it would wait for a client that may never close its side.
  const cut = (connection: Connection) => {
    if (!isSession(connection)) return connection.destroy();
    connection.close();
    socketOf(connection).destroySoon();
  };
  const arm = (connection: Connection, tracked: Tracked, ms: number) => {
    clearTimeout(tracked.timer);
    tracked.timer = setTimeout(() => cut(connection), ms);
  };
  const track = (connection: Connection, ms: number) => {
    const tracked: Tracked = { inFlight: 0, timer: undefined };
    connections.set(connection, tracked);
    arm(connection, tracked, ms);
    connection.once("close", () => {
      clearTimeout(tracked.timer);
      connections.delete(connection);
    });
  };

  const bounded: NodeHandler = (req, res) => {
    const connection: Connection = "stream" in req ? req.stream.session! : req.socket;
    const tracked = connections.get(connection);
    if (tracked) {
      tracked.inFlight++;
      clearTimeout(tracked.timer);
      tracked.timer = undefined;
    }
    // Past its bound a request is cut: its HTTP/2 stream alone, or its HTTP/1.1 socket.
    const overdue = setTimeout(() => ("stream" in req ? req.stream.close(http2.constants.NGHTTP2_CANCEL) : req.socket.destroy()), limits.requestTimeoutMs);
    res.once("close", () => {
      clearTimeout(overdue);
      if (!tracked) return;
      tracked.inFlight--;
      if (tracked.inFlight > 0) return;
      // Closing ends a connection once nothing on it is in flight, rather than waiting for the client.
      if (closing) end(connection);
      else arm(connection, tracked, limits.idleTimeoutMs);
    });
    handler(req, res);
  };
  const tls = options.tls;
  const http2Settings = { maxHeaderListSize: maxHeaderBytes, maxConcurrentStreams: 100 };
  const server = tls
    ? http2.createSecureServer(
        {
          cert: tls.cert,
          key: tls.key,
          allowHTTP1: true,
          // A client that connects and never finishes its handshake holds a socket: not for long.
          handshakeTimeout: limits.headersTimeoutMs,
          maxSessionMemory: 10,
          settings: http2Settings,
        },
        bounded as (req: http2.Http2ServerRequest, res: http2.Http2ServerResponse) => void,
      )
    : createServer(
        {
          // keepAliveTimeout 0: the idle bound below rules, for HTTP/1.1 as for HTTP/2.
          http: { maxHeaderSize: maxHeaderBytes, keepAliveTimeout: 0 },
          http2: { maxSessionMemory: 10, settings: http2Settings },
        },
        bounded as http.RequestListener,
      );
  server.maxConnections = limits.maxConnections;
  if (options.onRefused) server.on("drop", options.onRefused);
  server.on("connection", (socket: Socket) => {
    // httpolyglot forwards this listener to its inner servers, so a socket is seen again when
    // the sniff hands it over: it stays in the phase it was in.
    if (sockets.has(socket)) return;
    sockets.add(socket);
    socket.once("close", () => sockets.delete(socket));
    // httpolyglot hands HTTP/2 a wrapped socket, so Node's own no-delay never reaches
    // the real one; without this, Nagle's algorithm adds ~40 ms to every small answer.
    socket.setNoDelay(true);
    // Over TLS the handshake has its own bound; the connection is tracked once it is secure.
    if (!tls) track(socket, limits.headersTimeoutMs);
  });
  // Over TLS, HTTP/1.1 requests arrive on the TLS socket, not the raw one: that is the connection.
  // An h2 one becomes its session (below).
  if (tls) server.on("secureConnection", (socket: TLSSocket) => socket.alpnProtocol !== "h2" && track(socket, limits.headersTimeoutMs));
  // Also forwarded: this one reaches the HTTP/2 server. Once the preface is in, the session is the
  // connection; with no stream open it is idle.
  server.on("session", (session: http2.Http2Session) => {
    const socket = socketOf(session);
    clearTimeout(connections.get(socket)?.timer);
    connections.delete(socket);
    track(session, limits.idleTimeoutMs);
  });

  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(options.port, options.host, () => resolve());
  });

  return {
    port: (server.address() as AddressInfo).port,
    openConnections: () => sockets.size,
    async close(graceMs) {
      closing = true;
      const closed = new Promise<void>((resolve) => server.close(() => resolve()));
      for (const [connection, tracked] of connections) {
        // GOAWAY first, so HTTP/2 clients open no new streams on a busy session.
        if (isSession(connection)) connection.close();
        else if (tracked.inFlight === 0) end(connection);
      }
      const grace = setTimeout(() => {
        for (const socket of sockets) socket.destroy();
      }, graceMs);
      await closed;
      clearTimeout(grace);
    },
  };
}
