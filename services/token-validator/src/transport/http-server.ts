import { createServer, type IncomingMessage, type ServerOptions, type ServerResponse } from "node:http";
import { createServer as createTlsServer } from "node:https";
import type { ServerTls } from "@tessera/shared/config/tls-config";
import type { AddressInfo, Socket } from "node:net";
import type { ConnectionLimits } from "@tessera/shared/config/load-config";
import { listenOnUnixSocket, type UnixSocketListener, type UnixSocketOptions } from "./unix-socket-listener.js";

/** A listening HTTP server and how to stop it. */
export interface RunningHttpServer {
  readonly port: number;
  /** The Unix-domain socket also served, if one was asked for. */
  readonly socketPath: string | undefined;
  /** Connections open now (for a gauge). */
  openConnections(): number;
  /** Stops accepting, lets in-flight requests finish for up to `graceMs`, then cuts the rest. */
  close(graceMs: number): Promise<void>;
}

/**
 * Reads each new connection before node:http does (forward-auth-wire.ts),
 * answering what it can and handing the rest on; never used with TLS.
 */
export interface ConnectionFrontEnd {
  /** Takes a new connection; `handOn` gives it to node:http, paused, its unread bytes put back. */
  accept(socket: Socket, handOn: (socket: Socket) => void): void;
  /** Closes every connection it holds (each is idle between its answers). */
  closeAll(): void;
}

/** Where to listen (port 0 asks the OS for a free one) and how long and how many connections a client may hold. */
export interface HttpServerOptions {
  readonly host: string;
  readonly port: number;
  readonly limits: ConnectionLimits;
  /** Told of each connection refused at the cap (for a metric). */
  readonly onRefused?: () => void;
  /** Set: HTTPS only; with a client CA, a client without a certificate it signed fails the handshake. */
  readonly tls?: ServerTls | undefined;
  /** Set: also serve on this Unix-domain socket (a sidecar's proxy in the same pod), with the same bounds. */
  readonly unixSocket?: Omit<UnixSocketOptions, "maxConnections" | "onRefused"> | undefined;
  /** Set (and no TLS): reads every connection first, handing node:http what it does not answer. */
  readonly frontEnd?: ConnectionFrontEnd | undefined;
}

/**
 * Larger than what nginx (32 KiB by default) and Envoy (60 KiB) let through,
 * so an oversized request reaches our handler and gets a clean 401 rather
 * than Node's bare 431; beyond it Node answers 431 itself.
 */
export const maxHeaderBytes = 64 * 1024;
/**
 * How often connections are checked against bounds whose shortest is
 * `shortestBoundMs`: node:http's connectionsCheckingInterval (30 s by default),
 * set so a bound is kept to within a quarter of it; the front end sweeps alike.
 */
export const boundCheckIntervalMs = (shortestBoundMs: number) => Math.max(10, Math.min(1000, Math.floor(shortestBoundMs / 4)));

/** While draining, how often connections that have gone idle are closed. */
const drainPollMs = 20;

/**
 * A plain HTTP/1.1 server (what nginx, Caddy, Traefik and Prometheus speak to
 * upstreams) with an orderly close: no new connections, idle keep-alive
 * connections closed at once, busy ones closed as they go idle (their last
 * answer says `Connection: close`), the rest cut after the grace period.
 */
export async function startHttpServer(options: HttpServerOptions, handler: (req: IncomingMessage, res: ServerResponse) => void): Promise<RunningHttpServer> {
  const { limits } = options;
  let closing = false;
  const httpOptions: ServerOptions = {
    maxHeaderSize: maxHeaderBytes,
    // Node bounds each phase itself here (this server listens on its own socket, unlike token-admin's).
    // headersTimeout counts from the connection's start, so it also bounds a client that sends nothing.
    headersTimeout: limits.headersTimeoutMs,
    requestTimeout: limits.requestTimeoutMs,
    keepAliveTimeout: limits.idleTimeoutMs,
    connectionsCheckingInterval: boundCheckIntervalMs(Math.min(limits.headersTimeoutMs, limits.requestTimeoutMs)),
  };
  const answer = (req: IncomingMessage, res: ServerResponse) => {
    if (closing) res.setHeader("connection", "close");
    handler(req, res);
  };
  const tls = options.tls;
  const server = tls
    ? createTlsServer(
        { ...httpOptions, cert: tls.cert, key: tls.key, ca: tls.clientCa, requestCert: tls.clientCa !== undefined, rejectUnauthorized: tls.clientCa !== undefined, handshakeTimeout: limits.headersTimeoutMs },
        answer,
      )
    : createServer(httpOptions, answer);
  server.maxConnections = limits.maxConnections;
  const frontEnd = tls ? undefined : options.frontEnd;
  if (frontEnd) putInFront(server, frontEnd);
  if (options.onRefused) server.on("drop", options.onRefused);
  let open = 0;
  server.on("connection", (socket) => {
    open++;
    socket.once("close", () => open--);
  });
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(options.port, options.host, () => {
      server.off("error", reject);
      resolve();
    });
  });
  let unixListener: UnixSocketListener | undefined;
  if (options.unixSocket) {
    try {
      // Handed to the same server as its own connections: the same parser, timeouts, TLS and drain.
      unixListener = await listenOnUnixSocket({ ...options.unixSocket, maxConnections: limits.maxConnections, onRefused: options.onRefused }, (socket) => server.emit("connection", socket));
    } catch (err) {
      server.close();
      throw err;
    }
  }
  return {
    port: (server.address() as AddressInfo).port,
    socketPath: unixListener?.path,
    openConnections: () => open,
    async close(graceMs) {
      closing = true;
      frontEnd?.closeAll();
      const closed = Promise.all([new Promise<void>((resolve) => server.close(() => resolve())), unixListener?.close()]);
      server.closeIdleConnections();
      // Requests that were in flight leave their connections idle when answered: close those too.
      const drain = setInterval(() => server.closeIdleConnections(), drainPollMs);
      const cut = setTimeout(() => server.closeAllConnections(), graceMs);
      await closed;
      clearInterval(drain);
      clearTimeout(cut);
    },
  };
}

/**
 * Puts `frontEnd` between the listener and node:http: node:http's handling of
 * a connection is its server's one "connection" listener (the documented way
 * in for a socket from elsewhere is emitting that event), so that listener is
 * moved behind the front end, which calls it for each connection it hands on.
 */
function putInFront(server: ReturnType<typeof createServer>, frontEnd: ConnectionFrontEnd): void {
  const listeners = server.listeners("connection") as ((socket: Socket) => void)[];
  if (listeners.length !== 1) throw new Error(`node:http's server has ${listeners.length} connection listeners, not the one expected`);
  const nodeHttp = listeners[0]!;
  server.removeListener("connection", nodeHttp);
  const handOn = (socket: Socket) => {
    nodeHttp.call(server, socket);
    // After node:http has its parser on the socket: the bytes put back are read first, in this same turn.
    socket.resume();
  };
  server.on("connection", (socket: Socket) => frontEnd.accept(socket, handOn));
}
