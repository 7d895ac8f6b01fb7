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

const tlsCertificateCodes = /CERT|SELF_SIGNED|UNABLE_TO_VERIFY|ERR_TLS/;

/** The innermost cause worth naming: past wrappers ("migration … failed") and AggregateErrors (one per address). */
function rootCause(err: unknown): unknown {
  let current = err;
  for (let depth = 0; depth < 5; depth++) {
    if (current instanceof AggregateError && current.errors.length > 0) current = current.errors[0];
    else if (current instanceof Error && current.cause !== undefined) current = current.cause;
    else break;
  }
  return current;
}

/**
 * One line saying why the database could not be used at start and what to
 * change (`setting`, e.g. DATABASE_URL), never the URL itself (it may hold a password).
 */
export function describeDatabaseFailure(err: unknown, setting = "DATABASE_URL"): string {
  const cause = rootCause(err) as (Error & { code?: string; hostname?: string; address?: string; port?: number }) | undefined;
  const code = typeof cause?.code === "string" ? cause.code : "";
  const message = cause instanceof Error ? cause.message : String(cause);
  const during = err instanceof Error && err !== cause && err.message.startsWith("migration") ? `${err.message.split(":")[0]}: ` : "";
  if (code === "ENOTFOUND" || code === "EAI_AGAIN") return `${during}database host ${cause?.hostname ?? ""} not found (${code}): check the host in ${setting}`;
  if (code === "ECONNREFUSED") return `${during}database at ${cause?.address ?? ""}:${cause?.port ?? ""} refused the connection (ECONNREFUSED): is Postgres running there? check ${setting}`;
  if (code === "ETIMEDOUT" || code === "EHOSTUNREACH" || /timeout exceeded when trying to connect|Connection terminated due to connection timeout/.test(message)) {
    return `${during}database did not answer (${code || "timeout"}): check the host and port in ${setting} and the network`;
  }
  if (code === "28P01" || code === "28000") return `${during}database refused the credentials (${message}): check the user and password in ${setting}`;
  if (code === "3D000") return `${during}${message}: create it, or fix the database name in ${setting}`;
  if (/does not support SSL/.test(message)) return `${during}database does not offer TLS, but ${setting} asks for it (sslmode): enable TLS on Postgres or change sslmode`;
  if (tlsCertificateCodes.test(code)) return `${during}database's TLS certificate was refused (${code}: ${message}): set sslrootcert in ${setting} to the CA that signed it, and connect by the name the certificate carries`;
  const state = /^[0-9A-Z]{5}$/.test(code) ? ` (SQLSTATE ${code})` : code ? ` (${code})` : "";
  return `${during}database error: ${message}${state}: check ${setting}`;
}
