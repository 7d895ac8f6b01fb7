import type * as http from "node:http";
import * as http2 from "node:http2";
import type { AddressInfo, Socket } from "node:net";
import type { TLSSocket } from "node:tls";
import { createServer } from "@httptoolkit/httpolyglot";
import type { ServerTls } from "@tessera/shared/config/tls-config";

/** A request handler both http and http2 servers accept (connect-node's adapter is one). */
export type NodeHandler = (req: http.IncomingMessage | http2.Http2ServerRequest, res: http.ServerResponse | http2.Http2ServerResponse) => void;

export interface HttpListener {
  /** The bound port (useful when 0 was asked for). */
  readonly port: number;
  /** Stops accepting, lets in-flight requests finish for `graceMs`, then cuts the rest. */
  close(graceMs: number): Promise<void>;
}

export interface ListenOptions {
  host: string;
  port: number;
  /** Bounds a request's headers; generous for a bearer token and gRPC metadata. */
  maxHeaderBytes?: number;
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

const isSession = (connection: Socket | http2.Http2Session): connection is http2.Http2Session => "goaway" in connection;

/**
 * Serves one handler for gRPC (HTTP/2) and for Connect JSON and gRPC-Web over
 * HTTP/1.1 on one port. Over TLS, ALPN picks the protocol (h2 or http/1.1).
 * In cleartext, Node's http2 server ignores `allowHTTP1`, so httpolyglot sniffs
 * each connection's first bytes (the HTTP/2 preface starts with "PRI") and
 * hands it to the right server.
 */
export async function listenHttp(handler: NodeHandler, options: ListenOptions): Promise<HttpListener> {
  const maxHeaderBytes = options.maxHeaderBytes ?? 16 * 1024;
  // Responses in flight per connection (an HTTP/1.1 socket or an HTTP/2 session).
  // Closing ends a connection once nothing on it is in flight, rather than waiting
  // for the client: idle keep-alive sockets, and HTTP/2 sessions holding a stream
  // whose answer was already sent (a refused oversized upload) would otherwise
  // hold shutdown for the whole grace period.
  const inFlight = new Map<Socket | http2.Http2Session, number>();
  let closing = false;
  const end = (connection: Socket | http2.Http2Session) => (isSession(connection) ? connection.destroy() : connection.end());
  const counted: NodeHandler = (req, res) => {
    const connection = "stream" in req ? req.stream.session! : (req.socket as Socket);
    inFlight.set(connection, (inFlight.get(connection) ?? 0) + 1);
    res.once("close", () => {
      const left = (inFlight.get(connection) ?? 1) - 1;
      inFlight.set(connection, left);
      if (closing && left === 0) end(connection);
    });
    handler(req, res);
  };
  const tls = options.tls;
  const server = tls
    ? secureServer(tls, maxHeaderBytes, counted)
    : createServer(
        {
          http: { maxHeaderSize: maxHeaderBytes, headersTimeout: 10_000, requestTimeout: 60_000 },
          http2: { maxSessionMemory: 10, settings: { maxHeaderListSize: maxHeaderBytes } },
        },
        counted as http.RequestListener,
      );
  const sockets = new Set<Socket>();
  const track = (connection: Socket) => {
    inFlight.set(connection, inFlight.get(connection) ?? 0);
    connection.once("close", () => inFlight.delete(connection));
  };
  server.on("connection", (socket: Socket) => {
    // httpolyglot hands HTTP/2 a wrapped socket, so Node's own no-delay never reaches
    // the real one; without this, Nagle's algorithm adds ~40 ms to every small answer.
    socket.setNoDelay(true);
    sockets.add(socket);
    socket.once("close", () => sockets.delete(socket));
    if (!tls) track(socket);
  });
  // Over TLS, requests arrive on the TLS socket, not the raw one: an HTTP/1.1 connection is
  // tracked as that; an h2 one as its session (below), so closing never cuts a busy stream.
  if (tls) server.on("secureConnection", (socket: TLSSocket) => socket.alpnProtocol !== "h2" && track(socket));
  // httpolyglot forwards listeners to its inner servers: this one reaches the HTTP/2 server.
  server.on("session", (session: http2.Http2Session) => {
    inFlight.set(session, 0);
    session.once("close", () => inFlight.delete(session));
  });

  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(options.port, options.host, () => resolve());
  });

  return {
    port: (server.address() as AddressInfo).port,
    async close(graceMs) {
      closing = true;
      const closed = new Promise<void>((resolve) => server.close(() => resolve()));
      for (const [connection, count] of inFlight) {
        // GOAWAY first, so HTTP/2 clients open no new streams on a busy session.
        if (isSession(connection)) connection.close();
        if (count === 0) end(connection);
      }
      const grace = setTimeout(() => {
        for (const socket of sockets) socket.destroy();
      }, graceMs);
      await closed;
      clearTimeout(grace);
    },
  };
}

/** HTTP/2 over TLS, with HTTP/1.1 for clients whose ALPN offers only that (curl --http1.1, browsers' Connect). */
function secureServer(tls: ServerTls, maxHeaderBytes: number, handler: NodeHandler): http2.Http2SecureServer {
  const server = http2.createSecureServer(
    {
      cert: tls.cert,
      key: tls.key,
      allowHTTP1: true,
      // A client that connects and never finishes its handshake holds a socket: not for long.
      handshakeTimeout: 10_000,
      maxSessionMemory: 10,
      settings: { maxHeaderListSize: maxHeaderBytes },
    },
    handler as (req: http2.Http2ServerRequest, res: http2.Http2ServerResponse) => void,
  );
  // The HTTP/1.1 side's bounds, as on the cleartext path.
  Object.assign(server, { headersTimeout: 10_000, requestTimeout: 60_000 });
  return server;
}
