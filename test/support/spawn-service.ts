import { spawn, type ChildProcess } from "node:child_process";
import { randomBytes } from "node:crypto";
import { readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";

const root = fileURLToPath(new URL("../..", import.meta.url));

export type ServiceName = "token-admin" | "token-validator" | "embedded";

export type LogLine = Record<string, unknown> & { msg?: string };

/** A Tessera service running as its own process, from the build output. */
export interface SpawnedService {
  readonly name: ServiceName;
  readonly child: ChildProcess;
  /** Everything it wrote to stdout and stderr, line by line (JSON log lines and plain text). */
  readonly lines: string[];
  /** What it wrote to stderr alone, line by line. */
  readonly errorLines: string[];
  /** Its exit code once it has exited (null: killed by a signal). */
  readonly exited: Promise<number | null>;
  /** Resolves with the first JSON log line matching `predicate` (already seen or yet to come). */
  waitForLog(predicate: (line: LogLine) => boolean, timeoutMs?: number): Promise<LogLine>;
  /** Resolves with the first capture group of the first output line matching `pattern`. */
  waitForText(pattern: RegExp, timeoutMs?: number): Promise<string>;
  /** SIGTERM, then waits for the exit code. */
  stop(): Promise<number | null>;
  /** SIGKILL: no shutdown work at all. */
  kill(): Promise<void>;
}

function parse(line: string): LogLine | undefined {
  if (!line.startsWith("{")) return undefined;
  try {
    return JSON.parse(line) as LogLine;
  } catch {
    return undefined;
  }
}

/** A path of its own for TESSERA_ADMIN_TOKEN_FILE, so no test writes into the repository or shares a file. */
export function uniqueAdminTokenFile(): string {
  return join(tmpdir(), `tessera-admin-token-${randomBytes(6).toString("hex")}`);
}

export interface SpawnOptions {
  /** Instead of `node services/<name>/dist/main.js`, e.g. `npm run start:admin`. */
  readonly command?: readonly string[];
  /** In a process group of its own, so that a test can end whatever it left behind. */
  readonly ownProcessGroup?: boolean;
}

/**
 * Starts `node services/<name>/dist/main.js` (or `options.command`) from the
 * repository root, with the given environment added (and, unless given, a token
 * file of its own for a production bootstrap).
 */
export function spawnService(name: ServiceName, env: Record<string, string | undefined>, options: SpawnOptions = {}): SpawnedService {
  const [file, ...args] = options.command ?? [process.execPath, `services/${name}/dist/main.js`];
  const child = spawn(file!, args, {
    cwd: root,
    detached: options.ownProcessGroup ?? false,
    env: { PATH: process.env.PATH, TESSERA_LOG_LEVEL: "info", TESSERA_ADMIN_TOKEN_FILE: uniqueAdminTokenFile(), ...env },
    stdio: ["ignore", "pipe", "pipe"],
  });
  const lines: string[] = [];
  const errorLines: string[] = [];
  const waiters = new Set<{ predicate: (line: LogLine) => boolean; resolve: (line: LogLine) => void }>();
  const textWaiters = new Set<{ pattern: RegExp; resolve: (match: string) => void }>();
  let partial = "";
  const onText = (text: string) => {
    partial += text;
    const complete = partial.split("\n");
    partial = complete.pop() ?? "";
    for (const line of complete) {
      lines.push(line);
      for (const waiter of textWaiters) {
        const match = line.match(waiter.pattern);
        if (match) {
          textWaiters.delete(waiter);
          waiter.resolve(match[1] ?? match[0]);
        }
      }
      const parsed = parse(line);
      if (!parsed) continue;
      for (const waiter of waiters) {
        if (waiter.predicate(parsed)) {
          waiters.delete(waiter);
          waiter.resolve(parsed);
        }
      }
    }
  };
  child.stdout!.setEncoding("utf8").on("data", onText);
  let errorPartial = "";
  child.stderr!.setEncoding("utf8").on("data", (text: string) => {
    errorPartial += text;
    const complete = errorPartial.split("\n");
    errorPartial = complete.pop() ?? "";
    errorLines.push(...complete);
    onText(text);
  });
  // "close", not "exit": every byte it wrote has been read by then.
  const exited = new Promise<number | null>((resolve) => child.once("close", (code) => resolve(code)));

  return {
    name,
    child,
    lines,
    errorLines,
    exited,
    waitForLog(predicate, timeoutMs = 20_000) {
      const seen = lines.map(parse).find((line) => line && predicate(line));
      if (seen) return Promise.resolve(seen);
      return new Promise((resolve, reject) => {
        const waiter = { predicate, resolve: (line: LogLine) => (clearTimeout(timer), resolve(line)) };
        const timer = setTimeout(() => {
          waiters.delete(waiter);
          reject(new Error(`${name}: no matching log line within ${timeoutMs} ms; output:\n${lines.slice(-30).join("\n")}`));
        }, timeoutMs);
        waiters.add(waiter);
        void exited.then((code) => {
          if (!waiters.has(waiter)) return;
          waiters.delete(waiter);
          clearTimeout(timer);
          reject(new Error(`${name} exited (${code}) before the expected log line; output:\n${lines.slice(-30).join("\n")}`));
        });
      });
    },
    waitForText(pattern, timeoutMs = 20_000) {
      const seen = lines.map((line) => line.match(pattern)).find(Boolean);
      if (seen) return Promise.resolve(seen[1] ?? seen[0]);
      return new Promise((resolve, reject) => {
        const timer = setTimeout(() => {
          textWaiters.delete(waiter);
          reject(new Error(`${name}: no output matching ${pattern} within ${timeoutMs} ms; output:\n${lines.slice(-30).join("\n")}`));
        }, timeoutMs);
        const waiter = { pattern, resolve: (match: string) => (clearTimeout(timer), resolve(match)) };
        textWaiters.add(waiter);
      });
    },
    async stop() {
      if (child.exitCode === null) child.kill("SIGTERM");
      return exited;
    },
    async kill() {
      if (child.exitCode === null) child.kill("SIGKILL");
      await exited;
    },
  };
}

/** Waits for a service's "listening" log line and returns the port it names. */
export async function listeningPort(service: SpawnedService, message: string, field = "port"): Promise<number> {
  const line = await service.waitForLog((l) => l.msg === message);
  return Number(line[field]);
}

/** The built-in admin token a token-admin on Postgres bootstrapped with: read from its file once its log says it is there. */
export async function bootstrapToken(service: SpawnedService): Promise<string> {
  const line = await service.waitForLog((l) => l.msg?.startsWith("built-in admin token written") === true);
  return readFileSync(String(line.file), "utf8").trim();
}
