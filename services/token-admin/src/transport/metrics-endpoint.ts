import type { ConnectNodeAdapterOptions } from "@connectrpc/connect-node";
import type { Registry } from "prom-client";
import { respondWithMetrics } from "@tessera/shared/metrics/metrics-response";

/** connect-node's handler for requests no route matches. */
type FallbackHandler = NonNullable<ConnectNodeAdapterOptions["fallback"]>;

/**
 * What the admin port answers outside the RPC routes (connect-node's
 * fallback): GET /metrics for Prometheus, 404 for anything else.
 */
export function metricsEndpoint(registry: Registry): FallbackHandler {
  return (req, res) => {
    if (req.url === "/metrics" && req.method === "GET") return respondWithMetrics(registry, res);
    res.writeHead(404, { "content-type": "text/plain" });
    res.end("not found\n");
  };
}
