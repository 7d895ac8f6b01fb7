import { Code, ConnectError, type Interceptor } from "@connectrpc/connect";
import { Counter, Histogram, type Registry } from "prom-client";
import { latencyBucketsSeconds } from "@tessera/shared/metrics/hot-histogram";

/** "PermissionDenied" → "permission_denied", as gRPC status names are usually written in metrics. */
const codeLabel = (code: Code): string => (Code[code] ?? "unknown").replace(/[A-Z]/g, (c, i: number) => (i === 0 ? "" : "_") + c.toLowerCase());

/**
 * Counts every admin RPC by method and status code and times it, in the given
 * registry. Installed outermost, so it sees codes after the error interceptor
 * has mapped them. The admin plane is not a hot path: prom-client's own metrics serve.
 */
export function metricsInterceptor(registry: Registry): Interceptor {
  const rpcs = new Counter({ name: "tessera_admin_rpcs_total", help: "Admin RPCs answered, by method and gRPC status code", labelNames: ["method", "code"], registers: [registry] });
  const duration = new Histogram({
    name: "tessera_admin_rpc_duration_seconds",
    help: "Time to answer an admin RPC, by method",
    labelNames: ["method"],
    buckets: [...latencyBucketsSeconds],
    registers: [registry],
  });
  return (next) => async (req) => {
    const startedMs = performance.now();
    const method = req.method.name;
    let code: Code | undefined;
    try {
      return await next(req);
    } catch (err) {
      code = err instanceof ConnectError ? err.code : Code.Internal;
      throw err;
    } finally {
      rpcs.inc({ method, code: code === undefined ? "ok" : codeLabel(code) });
      duration.observe({ method }, (performance.now() - startedMs) / 1000);
    }
  };
}
