import { StartupError } from "./startup-error.js";

/** The message and its causes, one line: "migration failed: connect ECONNREFUSED …". */
function messageChain(err: unknown): string {
  const parts: string[] = [];
  for (let current = err, depth = 0; current !== undefined && depth < 5; depth++) {
    if (current instanceof AggregateError && current.errors.length > 0) current = current.errors[0];
    parts.push(current instanceof Error ? current.message : String(current));
    current = current instanceof Error ? current.cause : undefined;
  }
  return parts.filter((part) => part !== "").join(": ").replace(/\s*\n\s*/g, " ");
}

/** One line for the operator: a StartupError as it says; anything else as its messages. */
export function describeStartupFailure(err: unknown): string {
  if (err instanceof StartupError) return err.message;
  return `unexpected error: ${messageChain(err)}`;
}

/**
 * Runs a service's start. On failure prints `<service>: cannot start: <one line>`
 * to stderr and exits 1 — no stack trace, unless TESSERA_LOG_LEVEL asks for
 * debug or trace (an unexpected error is a bug worth its stack then).
 */
export async function startOrExit<T>(service: string, start: () => Promise<T> | T, env: NodeJS.ProcessEnv = process.env): Promise<T> {
  try {
    return await start();
  } catch (err) {
    process.stderr.write(`${service}: cannot start: ${describeStartupFailure(err)}\n`);
    if (env.TESSERA_LOG_LEVEL === "debug" || env.TESSERA_LOG_LEVEL === "trace") process.stderr.write(`${(err as Error)?.stack ?? String(err)}\n`);
    process.exit(1);
  }
}
