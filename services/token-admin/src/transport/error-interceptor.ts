import { Code, type Interceptor } from "@connectrpc/connect";
import type { Logger } from "@tessera/shared/log/logger";
import { toConnectError } from "@tessera/shared/transport/error-status";

/** Maps every error to its status in one place; logs only what is not the caller's fault. */
export function errorInterceptor(log: Logger): Interceptor {
  return (next) => async (req) => {
    try {
      return await next(req);
    } catch (err) {
      const connectError = toConnectError(err);
      if (connectError.code === Code.Internal || connectError.code === Code.Unavailable) {
        log.error({ err: connectError.cause ?? err, rpc: req.method.name }, "rpc failed");
      }
      throw connectError;
    }
  };
}
