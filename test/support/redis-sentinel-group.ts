import { spawn, type ChildProcess } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Redis } from "ioredis";
import { freePort } from "../load-balancers/support/http-call.js";

/**
 * A Redis Sentinel group of the test's own, from Debian's redis-server and
 * redis-sentinel on free ports in a temp folder — never the shared Redis:
 * a master, a replica of it, and sentinels that watch them.
 */
export interface SentinelGroup {
  readonly masterName: string;
  /** `redis+sentinel://…/masterName`: what REDIS_URL is set to. */
  readonly url: string;
  readonly masterPort: number;
  readonly replicaPort: number;
  /** The port of the server the sentinels call master now. */
  currentMasterPort(): Promise<number>;
  /** SIGKILLs the server at `port` (no goodbye to anyone: a crash). */
  kill(port: number): Promise<void>;
  stop(): Promise<void>;
}

interface Started {
  readonly child: ChildProcess;
  readonly port: number;
  readonly exited: Promise<void>;
}

/** Starts a redis-server (or sentinel) process and waits until it says it accepts connections. */
async function startRedisProcess(command: string, args: string[], port: number, ready: string): Promise<Started> {
  const child = spawn(command, args, { stdio: ["ignore", "pipe", "pipe"] });
  const exited = new Promise<void>((resolve) => child.once("exit", () => resolve()));
  let output = "";
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`${command} on ${port} did not start:\n${output}`)), 10_000);
    child.stdout!.setEncoding("utf8").on("data", (text: string) => {
      output += text;
      if (output.includes(ready)) {
        clearTimeout(timer);
        resolve();
      }
    });
    child.stderr!.setEncoding("utf8").on("data", (text: string) => (output += text));
    child.once("exit", (code) => {
      clearTimeout(timer);
      reject(new Error(`${command} on ${port} exited (${code}):\n${output}`));
    });
  });
  return { child, port, exited };
}

async function until(check: () => Promise<boolean>, timeoutMs: number, what: string): Promise<void> {
  const started = Date.now();
  while (!(await check().catch(() => false))) {
    if (Date.now() - started > timeoutMs) throw new Error(`${what}: not within ${timeoutMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

/**
 * Starts the group and waits until every sentinel knows the replica and the
 * other sentinels (so a quorum can agree and a leader be elected). Sentinels
 * decide the master is down after `downAfterMs` without an answer.
 */
export async function startSentinelGroup(options: { sentinels: number; downAfterMs: number }): Promise<SentinelGroup> {
  const dir = mkdtempSync(join(tmpdir(), "tessera-sentinel-"));
  const masterName = "tessera-test";
  const started: Started[] = [];
  const server = async (name: string, extra: string[]) => {
    const port = await freePort();
    const args = ["--bind", "127.0.0.1", "--port", String(port), "--save", "", "--appendonly", "no", "--dir", dir, "--dbfilename", `${name}.rdb`, ...extra];
    const process = await startRedisProcess("redis-server", args, port, "Ready to accept connections");
    started.push(process);
    return port;
  };
  try {
    const masterPort = await server("master", []);
    const replicaPort = await server("replica", ["--replicaof", "127.0.0.1", String(masterPort)]);
    const quorum = Math.floor(options.sentinels / 2) + 1;
    const sentinelPorts: number[] = [];
    for (let i = 0; i < options.sentinels; i++) {
      const port = await freePort();
      // Sentinel rewrites its config file as it learns: it must be its own and writable.
      const conf = join(dir, `sentinel-${i}.conf`);
      writeFileSync(
        conf,
        [
          `port ${port}`,
          "bind 127.0.0.1",
          `dir ${dir}`,
          `sentinel monitor ${masterName} 127.0.0.1 ${masterPort} ${quorum}`,
          `sentinel down-after-milliseconds ${masterName} ${options.downAfterMs}`,
          `sentinel failover-timeout ${masterName} 10000`,
          `sentinel parallel-syncs ${masterName} 1`,
          "",
        ].join("\n"),
      );
      started.push(await startRedisProcess("redis-sentinel", [conf], port, "+monitor master"));
      sentinelPorts.push(port);
    }
    const ask = async <T>(port: number, command: (redis: Redis) => Promise<T>): Promise<T> => {
      const redis = new Redis({ host: "127.0.0.1", port, lazyConnect: true, maxRetriesPerRequest: 0, retryStrategy: () => null });
      redis.on("error", () => undefined);
      try {
        await redis.connect();
        return await command(redis);
      } finally {
        redis.disconnect();
      }
    };
    // Replication up, and every sentinel seeing the replica and all other sentinels.
    await until(async () => (await ask(replicaPort, (r) => r.info("replication"))).includes("master_link_status:up"), 10_000, "replica in sync");
    for (const port of sentinelPorts) {
      await until(
        async () => {
          const master = (await ask(port, (r) => r.call("SENTINEL", "MASTER", masterName))) as string[];
          const field = (name: string) => master[master.indexOf(name) + 1];
          return Number(field("num-slaves")) >= 1 && Number(field("num-other-sentinels")) >= options.sentinels - 1;
        },
        20_000,
        `sentinel ${port} knowing the replica and its peers`,
      );
    }
    const stopAll = async () => {
      for (const process of started) if (process.child.exitCode === null && process.child.signalCode === null) process.child.kill("SIGKILL");
      await Promise.all(started.map((process) => process.exited));
      rmSync(dir, { recursive: true, force: true });
    };
    return {
      masterName,
      url: `redis+sentinel://${sentinelPorts.map((port) => `127.0.0.1:${port}`).join(",")}/${masterName}`,
      masterPort,
      replicaPort,
      async currentMasterPort() {
        for (const port of sentinelPorts) {
          try {
            const [, masterPortText] = (await ask(port, (r) => r.call("SENTINEL", "GET-MASTER-ADDR-BY-NAME", masterName))) as [string, string];
            return Number(masterPortText);
          } catch {
            // that sentinel is not answering: ask the next
          }
        }
        throw new Error("no sentinel answered");
      },
      async kill(port) {
        const process = started.find((p) => p.port === port);
        if (!process) throw new Error(`no server of the group on ${port}`);
        process.child.kill("SIGKILL");
        await process.exited;
      },
      stop: stopAll,
    };
  } catch (err) {
    for (const process of started) process.child.kill("SIGKILL");
    await Promise.all(started.map((process) => process.exited));
    rmSync(dir, { recursive: true, force: true });
    throw err;
  }
}
