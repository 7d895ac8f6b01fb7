import { Code, ConnectError } from "@connectrpc/connect";
import { isDatabaseUnavailable } from "../db/database-errors.js";
import { TesseraError, type ErrorCode } from "../errors/tessera-error.js";

// Connect's Code values are the gRPC status numbers, so one table serves both
// servers. `Record` makes a forgotten code a compile error.
const codeFor: Record<ErrorCode, Code> = {
  invalid_argument: Code.InvalidArgument,
  not_found: Code.NotFound,
  already_exists: Code.AlreadyExists,
  failed_precondition: Code.FailedPrecondition,
  permission_denied: Code.PermissionDenied,
  unauthenticated: Code.Unauthenticated,
  resource_exhausted: Code.ResourceExhausted,
  unavailable: Code.Unavailable,
};

/** Anything unexpected becomes a bare "internal error"; its cause stays for the log. */
export function toConnectError(err: unknown): ConnectError {
  if (err instanceof ConnectError) return err;
  if (err instanceof TesseraError) {
    return new ConnectError(err.message, codeFor[err.code], undefined, undefined, err);
  }
  // Postgres down is not a bug: the caller should retry, and nothing was half-written
  // because every write is one transaction.
  if (isDatabaseUnavailable(err)) {
    return new ConnectError("database unavailable", Code.Unavailable, undefined, undefined, err);
  }
  return new ConnectError("internal error", Code.Internal, undefined, undefined, err);
}

/** The same mapping shaped for a grpc-js callback (`{ code, details }`). */
export function toGrpcStatus(err: unknown): { code: number; details: string } {
  const { code, rawMessage } = toConnectError(err);
  return { code, details: rawMessage };
}
