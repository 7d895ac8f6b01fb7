import { createServer, type IncomingMessage, type ServerOptions, type ServerResponse } from "node:http";
import { createServer as createTlsServer } from "node:https";
import type { ServerTls } from "@tessera/shared/config/tls-config";
import type { AddressInfo } from "node:net";

/** A listening HTTP server and how to stop it. */
export interface RunningHttpServer {
  readonly port: number;
  /** Stops accepting, lets in-flight requests finish for up to `graceMs`, then cuts the rest. */
  close(graceMs: number): Promise<void>;
}

/** Where to listen; port 0 asks the OS for a free one. */
export interface HttpServerOptions {
  readonly host: string;
  readonly port: number;
  /** Set: HTTPS only; with a client CA, a client without a certificate it signed fails the handshake. */
  readonly tls?: ServerTls | undefined;
}

/**
 * Larger than what nginx (32 KiB by default) and Envoy (60 KiB) let through,
 * so an oversized request reaches our handler and gets a clean 401 rather
 * than Node's bare 431; beyond it Node answers 431 itself.
 */
const maxHeaderBytes = 64 * 1024;
/** Longer than the idle timeout of the proxies' upstream keep-alive pools (nginx 60 s), so they close first. */
const keepAliveTimeoutMs = 65_000;
/** While draining, how often connections that have gone idle are closed. */
const drainPollMs = 20;

/**
 * A plain HTTP/1.1 server (what nginx, Caddy, Traefik and Prometheus speak to
 * upstreams) with an orderly close: no new connections, idle keep-alive
 * connections closed at once, busy ones closed as they go idle (their last
 * answer says `Connection: close`), the rest cut after the grace period.
 */
export async function startHttpServer(options: HttpServerOptions, handler: (req: IncomingMessage, res: ServerResponse) => void): Promise<RunningHttpServer> {
  let closing = false;
  const httpOptions: ServerOptions = { maxHeaderSize: maxHeaderBytes, keepAliveTimeout: keepAliveTimeoutMs, headersTimeout: 10_000, requestTimeout: 30_000 };
  const answer = (req: IncomingMessage, res: ServerResponse) => {
    if (closing) res.setHeader("connection", "close");
    handler(req, res);
  };
  const tls = options.tls;
  const server = tls
    ? createTlsServer({ ...httpOptions, cert: tls.cert, key: tls.key, ca: tls.clientCa, requestCert: tls.clientCa !== undefined, rejectUnauthorized: tls.clientCa !== undefined, handshakeTimeout: 10_000 }, answer)
    : createServer(httpOptions, answer);
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(options.port, options.host, () => {
      server.off("error", reject);
      resolve();
    });
  });
  return {
    port: (server.address() as AddressInfo).port,
    async close(graceMs) {
      closing = true;
      const closed = new Promise<void>((resolve) => server.close(() => resolve()));
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
