import { spawn, type ChildProcess } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { freePort } from "../load-balancers/support/http-call.js";

/** A redis-server of the test's own, never the shared one: a password, a cleartext port and a TLS port. */
export interface OwnRedis {
  readonly password: string;
  /** Cleartext, password required. */
  readonly port: number;
  /** TLS (the test's server certificate), password required; clients need no certificate. */
  readonly tlsPort: number;
  stop(): Promise<void>;
}

function waitReady(child: ChildProcess): Promise<void> {
  return new Promise((resolve, reject) => {
    let output = "";
    const timer = setTimeout(() => reject(new Error(`redis-server did not start:\n${output}`)), 10_000);
    child.stdout!.setEncoding("utf8").on("data", (text: string) => {
      output += text;
      if (output.includes("Ready to accept connections")) {
        clearTimeout(timer);
        resolve();
      }
    });
    child.once("exit", (code) => {
      clearTimeout(timer);
      reject(new Error(`redis-server exited (${code}):\n${output}`));
    });
  });
}

/** Starts `redis-server` on free ports (it cannot be asked for port 0 and say which it took; a clash is retried). */
export async function startOwnRedis(tls: { certFile: string; keyFile: string; caFile: string }, password: string): Promise<OwnRedis> {
  for (let attempt = 0; ; attempt++) {
    const [port, tlsPort] = [await freePort(), await freePort()];
    const dir = mkdtempSync(join(tmpdir(), "tessera-redis-"));
    const child = spawn("redis-server", [
      "--bind", "127.0.0.1", "--port", String(port), "--tls-port", String(tlsPort),
      "--tls-cert-file", tls.certFile, "--tls-key-file", tls.keyFile, "--tls-ca-cert-file", tls.caFile, "--tls-auth-clients", "no",
      "--requirepass", password, "--save", "", "--appendonly", "no", "--dir", dir,
    ], { stdio: ["ignore", "pipe", "pipe"] });
    try {
      await waitReady(child);
    } catch (err) {
      child.kill("SIGKILL");
      rmSync(dir, { recursive: true, force: true });
      if (attempt < 3) continue;
      throw err;
    }
    return {
      password,
      port,
      tlsPort,
      async stop() {
        const exited = new Promise((resolve) => child.once("exit", resolve));
        child.kill("SIGTERM");
        await exited;
        rmSync(dir, { recursive: true, force: true });
      },
    };
  }
}
