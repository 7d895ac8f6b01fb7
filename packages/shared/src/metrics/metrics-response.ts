import type { Registry } from "prom-client";

/** The part of a node:http or node:http2 response (or connect-node's view of one) a scrape answer needs. */
export interface MetricsResponse {
  writeHead(status: number, headers: Record<string, string>): unknown;
  end(body: string): unknown;
}

/** Answers a scrape: the registry in Prometheus text format, or a bare 500 if collecting failed. */
export function respondWithMetrics(registry: Registry, res: MetricsResponse): void {
  registry.metrics().then(
    (text) => {
      res.writeHead(200, { "content-type": registry.contentType, "cache-control": "no-store" });
      res.end(text);
    },
    () => {
      res.writeHead(500, { "content-type": "text/plain" });
      res.end("metrics collection failed\n");
    },
  );
}
