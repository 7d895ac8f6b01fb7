import { format } from "node:util";
import { logVerbosity, setLogger, setLogVerbosity } from "@grpc/grpc-js";
import type { Logger } from "@tessera/shared/log/logger";

/**
 * Sends grpc-js's own diagnostics (process-wide) to the logger at debug level
 * rather than raw to stderr: every failure that matters is reported by our code
 * (a failed bind as one startup line, say), and stderr stays one line long.
 */
export function routeGrpcLogs(log: Logger): void {
  const debug = (...args: unknown[]) => log.debug({ grpc: format(...args) }, "grpc-js");
  setLogger({ error: debug, info: debug, debug });
  setLogVerbosity(logVerbosity.ERROR);
}
