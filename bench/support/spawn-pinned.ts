import { execFileSync, spawn, type ChildProcess } from "node:child_process";
import { fileURLToPath } from "node:url";
import { serverCore } from "./h2load.js";

const root = fileURLToPath(new URL("../..", import.meta.url));

export interface PinnedServer {
  readonly child: ChildProcess;
  /** The JSON line the server printed when ready (its ports). */
  readonly ready: Record<string, number | boolean>;
  stop(): Promise<void>;
}

/**
 * Starts a TypeScript entry as its own node process (tsx loader) pinned to the
 * server core, and waits for its `{"ready":true,…}` line.
 */
export function spawnPinned(entry: string, env: Record<string, string> = {}, nodeArgs: string[] = []): Promise<PinnedServer> {
  return spawnReady("taskset", ["-c", String(serverCore), process.execPath, ...nodeArgs, "--import", "tsx", entry], entry, env);
}

/** spawnPinned, free to run on any core: beside processes the bench does not pin either. */
export function spawnUnpinned(entry: string, env: Record<string, string> = {}): Promise<PinnedServer> {
  return spawnReady(process.execPath, ["--import", "tsx", entry], entry, env);
}

function spawnReady(file: string, args: string[], entry: string, env: Record<string, string>): Promise<PinnedServer> {
  const child = spawn(file, args, {
    cwd: root,
    env: { ...process.env, ...env },
    stdio: ["ignore", "pipe", "inherit"],
  });
  return new Promise((resolve, reject) => {
    let buffered = "";
    const onData = (chunk: Buffer) => {
      buffered += chunk.toString("utf8");
      for (const line of buffered.split("\n")) {
        if (!line.startsWith('{"ready"')) continue;
        child.stdout!.off("data", onData);
        const exited = new Promise<void>((done) => child.once("exit", () => done()));
        resolve({
          child,
          ready: JSON.parse(line),
          async stop() {
            child.kill("SIGTERM");
            await Promise.race([exited, new Promise((r) => setTimeout(r, 3000))]);
            child.kill("SIGKILL");
          },
        });
        return;
      }
    };
    child.stdout!.on("data", onData);
    child.once("exit", (code) => reject(new Error(`${entry} exited (${code}) before it was ready`)));
  });
}

/**
 * The cores this bench was started with, as taskset's hex mask: what a process
 * held to one core is given back, and what children are started with.
 */
export const benchAffinity = /: *([0-9a-f,]+)\s*$/.exec(execFileSync("taskset", ["-p", String(process.pid)], { encoding: "utf8" }))![1]!;

/**
 * Runs `work` with this process (every thread of it) held to the server core,
 * then gives it back the cores it had: for a server the bench hosts in-process.
 * A child started meanwhile inherits the pin unless it is started otherwise.
 */
export async function pinnedToServerCore<T>(work: () => Promise<T>): Promise<T> {
  const setAffinity = (args: string[]) => execFileSync("taskset", ["-a", "-p", ...args, String(process.pid)], { stdio: "ignore" });
  setAffinity(["-c", String(serverCore)]);
  try {
    return await work();
  } finally {
    setAffinity([benchAffinity]);
  }
}
