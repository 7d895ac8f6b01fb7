import { Code, ConnectError, type Interceptor } from "@connectrpc/connect";
import type { Tracing } from "@tessera/shared/tracing/tracing";

/**
 * A span for every admin RPC, joining the caller's trace when its request
 * carries a W3C `traceparent`; the RPC's database queries become its children
 * (see traceQueries). Installed outermost, so it sees the mapped status.
 * Records the method and status only: never a header, a token or a field.
 */
export function tracingInterceptor(tracing: Tracing): Interceptor {
  return (next) => async (req) => {
    const span = tracing.startServerSpan(
      `${req.service.typeName}/${req.method.name}`,
      { traceparent: req.header.get("traceparent") ?? undefined, tracestate: req.header.get("tracestate") ?? undefined },
      { "rpc.system": "connect_rpc", "rpc.service": req.service.typeName, "rpc.method": req.method.name },
    );
    try {
      const res = await tracing.withSpan(span, () => next(req));
      tracing.end(span);
      return res;
    } catch (err) {
      const code = err instanceof ConnectError ? err.code : Code.Internal;
      span.setAttribute("rpc.connect_rpc.error_code", Code[code] ?? "unknown");
      tracing.end(span, Code[code]);
      throw err;
    }
  };
}
