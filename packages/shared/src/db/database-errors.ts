// Postgres reports conditions by SQLSTATE; node-postgres and the socket layer by
// Node error codes or bare messages. These predicates are the one place that
// knows the difference.

function sqlState(err: unknown): string | undefined {
  const code = (err as { code?: unknown } | null)?.code;
  return typeof code === "string" ? code : undefined;
}

/** 23505: a unique constraint refused the row. */
export function isUniqueViolation(err: unknown): boolean {
  return sqlState(err) === "23505";
}

/** 40001 serialization failure, 40P01 deadlock: the transaction may simply be run again. */
export function isRetryableTransactionError(err: unknown): boolean {
  const state = sqlState(err);
  return state === "40001" || state === "40P01";
}

const unavailableNodeCodes = new Set(["ECONNREFUSED", "ECONNRESET", "ETIMEDOUT", "EPIPE", "ENOTFOUND", "EHOSTUNREACH"]);

/**
 * Postgres cannot be reached or went away mid-request: class 08 (connection
 * exception), 57P01..57P03 (shutdown, cannot connect now), a refused or reset
 * socket, or node-postgres's own connection timeout and termination messages.
 */
export function isDatabaseUnavailable(err: unknown): boolean {
  const state = sqlState(err);
  if (state !== undefined) {
    if (state.startsWith("08") || state === "57P01" || state === "57P02" || state === "57P03") return true;
    if (unavailableNodeCodes.has(state)) return true;
  }
  if (err instanceof AggregateError) return err.errors.some(isDatabaseUnavailable);
  const message = err instanceof Error ? err.message : "";
  return /Connection terminated|timeout exceeded when trying to connect|Client has encountered a connection error/.test(message);
}
