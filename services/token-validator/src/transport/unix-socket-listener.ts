import { chmod, lstat, unlink } from "node:fs/promises";
import { connect, createServer, type Socket } from "node:net";
import { StartupError } from "@tessera/shared/runtime/startup-error";

/** Where a sidecar's clients reach a listener: a socket file and who may open it. */
export interface UnixSocketOptions {
  /** Absolute path of the socket file. */
  readonly path: string;
  /** File mode set on the socket right after it is made (e.g. 0o660: owner and group). */
  readonly mode: number;
  /** Open connections at most on this socket; beyond it new ones are closed as they arrive. */
  readonly maxConnections: number;
  /** Told of each connection refused at the cap (for a metric). */
  readonly onRefused?: (() => void) | undefined;
  /** The setting that names this socket, for an operator's error message. */
  readonly setting: string;
}

export interface UnixSocketListener {
  readonly path: string;
  /** Stops accepting and removes the socket file (connections already handed over are the server's to close). */
  close(): Promise<void>;
}

const errno = (err: unknown): string | undefined => (err as NodeJS.ErrnoException | undefined)?.code;

/** Whether something accepts connections on the socket file at `path` now. */
function somethingListens(path: string): Promise<boolean> {
  return new Promise((resolve) => {
    const probe = connect(path);
    probe.once("connect", () => {
      probe.destroy();
      resolve(true);
    });
    // ECONNREFUSED: the file outlived its process (a crash, a SIGKILL). Anything else: treat as not listening either.
    probe.once("error", () => resolve(false));
  });
}

/**
 * Clears the way for a socket at `path`: a socket file left by a process that
 * died is removed; one that a live process listens on, or a file that is not a
 * socket, is refused — never deleted.
 */
async function removeStaleSocket(path: string, setting: string): Promise<void> {
  let stats;
  try {
    stats = await lstat(path);
  } catch (err) {
    if (errno(err) === "ENOENT") return;
    throw new StartupError(`${path} cannot be examined (${errno(err) ?? String(err)}): set ${setting}`, { cause: err });
  }
  if (!stats.isSocket()) throw new StartupError(`${path} exists and is not a socket: set ${setting} to another path`);
  if (await somethingListens(path)) throw new StartupError(`${path} is already in use (a process listens on it): set ${setting}`);
  await unlink(path).catch((err: unknown) => {
    if (errno(err) !== "ENOENT") throw new StartupError(`${path} is a stale socket that cannot be removed (${errno(err) ?? String(err)}): set ${setting}`, { cause: err });
  });
}

/**
 * Listens on a Unix-domain socket and hands every accepted connection to
 * `onConnection` (the same servers as the TCP port: grpc-js's injector, the
 * HTTP server). The file is created under the process umask (token-validator's
 * is 0077) and then given `mode`, so it is never more open than asked.
 */
export async function listenOnUnixSocket(options: UnixSocketOptions, onConnection: (socket: Socket) => void): Promise<UnixSocketListener> {
  const { path, mode, setting } = options;
  await removeStaleSocket(path, setting);
  const server = createServer(onConnection);
  server.maxConnections = options.maxConnections;
  if (options.onRefused) server.on("drop", options.onRefused);
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(path, () => {
      server.off("error", reject);
      resolve();
    });
  }).catch((err: unknown) => {
    const code = errno(err);
    throw new StartupError(`${path} cannot be listened on (${code ?? (err as Error).message}): set ${setting}`, { cause: err });
  });
  const made = await lstat(path);
  try {
    await chmod(path, mode);
  } catch (err) {
    server.close();
    throw new StartupError(`${path}: cannot set its mode (${errno(err) ?? String(err)}): set ${setting}`, { cause: err });
  }
  return {
    path,
    async close() {
      await new Promise<void>((resolve) => server.close(() => resolve()));
      // libuv unlinks the file on close; this covers a platform that does not, and never removes a
      // socket that another process has since made at the same path.
      const now = await lstat(path).catch(() => undefined);
      if (now && now.ino === made.ino && now.dev === made.dev) await unlink(path).catch(() => undefined);
    },
  };
}
