/**
 * A start that cannot go on, said for the operator: what is wrong and which
 * setting to change, in one line. Its message is printed as is, without a
 * stack; `cause` keeps the underlying error for a debug log.
 */
export class StartupError extends Error {
  override readonly name = "StartupError";
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
  }
}

const listenProblems: Record<string, string> = {
  EADDRINUSE: "is already in use",
  EACCES: "may not be used by this user",
  EADDRNOTAVAIL: "is not an address of this machine",
};

/** Why a server could not listen, naming the setting to change (grpc-js puts the errno code only in its message). */
export function listenFailure(err: unknown, where: { host: string; port: number; setting: string }): StartupError {
  const text = err instanceof Error ? `${(err as NodeJS.ErrnoException).code ?? ""} ${err.message}` : String(err);
  const code = Object.keys(listenProblems).find((known) => text.includes(known));
  const problem = code ? `${listenProblems[code]} (${code})` : `cannot be listened on (${err instanceof Error ? err.message : String(err)})`;
  const setting = code === "EADDRNOTAVAIL" ? "TESSERA_HOST" : `${where.setting} (or TESSERA_HOST)`;
  return new StartupError(`${where.host}:${where.port} ${problem}: set ${setting}`, { cause: err });
}
