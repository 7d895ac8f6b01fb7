import type * as http from "node:http";
import type * as http2 from "node:http2";
import type { AddressInfo, Socket } from "node:net";
import { createServer } from "@httptoolkit/httpolyglot";

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
}

/**
 * Serves one handler for gRPC (HTTP/2 cleartext, prior knowledge) and for
 * Connect JSON and gRPC-Web over HTTP/1.1 on one port. Node's cleartext http2
 * server ignores `allowHTTP1`, so httpolyglot sniffs each connection's first
 * bytes (the HTTP/2 preface starts with "PRI") and hands it to the right server.
 */
export async function listenHttp(handler: NodeHandler, options: ListenOptions): Promise<HttpListener> {
  const maxHeaderBytes = options.maxHeaderBytes ?? 16 * 1024;
  // HTTP/1.1 requests in flight per socket, so that closing can end idle keep-alive connections at once.
  const inFlight = new Map<Socket, number>();
  let closing = false;
  const counted: NodeHandler = (req, res) => {
    const socket = req.socket as Socket;
    if (req.httpVersionMajor === 1) {
      inFlight.set(socket, (inFlight.get(socket) ?? 0) + 1);
      res.once("close", () => {
        const left = (inFlight.get(socket) ?? 1) - 1;
        inFlight.set(socket, left);
        if (closing && left === 0) socket.end();
      });
    }
    handler(req, res);
  };
  const server = createServer(
    {
      http: { maxHeaderSize: maxHeaderBytes, headersTimeout: 10_000, requestTimeout: 60_000 },
      http2: { maxSessionMemory: 10, settings: { maxHeaderListSize: maxHeaderBytes } },
    },
    counted as http.RequestListener,
  );
  const sockets = new Set<Socket>();
  const sessions = new Set<http2.ServerHttp2Session>();
  server.on("connection", (socket: Socket) => {
    sockets.add(socket);
    socket.once("close", () => {
      sockets.delete(socket);
      inFlight.delete(socket);
    });
  });
  // httpolyglot forwards listeners to its inner servers: this one reaches the HTTP/2 server.
  server.on("session", (session: http2.ServerHttp2Session) => {
    sessions.add(session);
    session.once("close", () => sessions.delete(session));
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
      // GOAWAY: HTTP/2 clients finish their streams and open no new ones.
      for (const session of sessions) session.close();
      // Idle HTTP/1.1 keep-alive connections would otherwise hold close() until they time out.
      for (const [socket, count] of inFlight) if (count === 0) socket.end();
      const grace = setTimeout(() => {
        for (const socket of sockets) socket.destroy();
      }, graceMs);
      await closed;
      clearTimeout(grace);
    },
  };
}
