import type { IncomingMessage, ServerResponse } from "node:http";
import type { Registry } from "prom-client";
import type { Logger } from "@tessera/shared/log/logger";
import { respondWithMetrics } from "@tessera/shared/metrics/metrics-response";
import type { ForwardAuthHandler } from "./forward-auth.js";
import type { IntrospectHandler } from "./introspect.js";

/** What the validator's HTTP port serves. */
export interface ValidatorHttpRoutes {
  readonly forwardAuth: ForwardAuthHandler;
  readonly introspect: IntrospectHandler;
  readonly metrics: Registry;
  /** True while the validator reports SERVING (current, not shutting down). */
  readonly ready: () => boolean;
  readonly log: Logger;
}

function plain(res: ServerResponse, status: number, text: string): void {
  res.writeHead(status, { "content-type": "text/plain", "cache-control": "no-store", "content-length": Buffer.byteLength(text) });
  res.end(text);
}

/**
 * The validator's HTTP port: /auth (forward-auth, any method), /introspect
 * (RFC 7662), /metrics (Prometheus), /ready (200 while SERVING, else 503 — for
 * probes that speak only HTTP). A handler that throws is a bug: logged
 * without the request, answered with a bare 500.
 */
export function validatorHttpRoutes(routes: ValidatorHttpRoutes): (req: IncomingMessage, res: ServerResponse) => void {
  const { forwardAuth, introspect, metrics, ready, log } = routes;
  return (req, res) => {
    const url = req.url ?? "/";
    try {
      if (url === "/auth" || url.startsWith("/auth?")) return forwardAuth(req, res, url);
      if (url === "/introspect") return introspect(req, res);
      if (url === "/metrics") return respondWithMetrics(metrics, res);
      if (url === "/ready") return ready() ? plain(res, 200, "serving\n") : plain(res, 503, "not serving\n");
      return plain(res, 404, "not found\n");
    } catch (err) {
      log.error({ err, path: url.split("?")[0] }, "http handler failed");
      if (!res.headersSent) plain(res, 500, "internal error\n");
      else res.destroy();
    }
  };
}
