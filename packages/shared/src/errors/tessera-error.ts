/**
 * The closed set of domain error codes. Transport maps each to one gRPC status
 * (see transport/error-status.ts); there are no others.
 */
export type ErrorCode =
  | "invalid_argument"
  | "not_found"
  | "already_exists"
  | "failed_precondition"
  | "permission_denied"
  | "unauthenticated"
  | "resource_exhausted"
  | "unavailable";

/** The one error type the domain throws. */
export class TesseraError extends Error {
  override readonly name = "TesseraError";

  /** `message` reaches the caller: never put a token, digest or password in it. */
  constructor(
    readonly code: ErrorCode,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}

/** An INVALID_ARGUMENT that names the offending field, e.g. `name: must not be empty`. */
export function invalidArgument(field: string, problem: string): TesseraError {
  return new TesseraError("invalid_argument", `${field}: ${problem}`);
}
