import { spawn, type ChildProcess } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { connect } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { freePort } from "./http-call.js";

const root = fileURLToPath(new URL("../../..", import.meta.url));

/** The deploy/ file the README shows, as text. */
export function deployFile(path: string): string {
  return readFileSync(join(root, "deploy", path), "utf8");
}

export interface RunningProxy {
  readonly name: string;
  readonly port: number;
  /** Everything the proxy wrote to stdout and stderr. */
  readonly output: string[];
  stop(): Promise<void>;
}

/** Replaces exactly one occurrence, so a test fails loudly when the deploy file changes shape. */
function substitute(text: string, from: string, to: string): string {
  const parts = text.split(from);
  if (parts.length !== 2) throw new Error(`expected "${from}" exactly once in the deploy file`);
  return parts.join(to);
}

async function waitForPort(port: number, child: ChildProcess, output: string[]): Promise<void> {
  for (let attempt = 0; attempt < 200; attempt++) {
    if (child.exitCode !== null) throw new Error(`proxy exited (${child.exitCode}):\n${output.join("")}`);
    const open = await new Promise<boolean>((resolve) => {
      const socket = connect(port, "127.0.0.1");
      socket.once("connect", () => (socket.destroy(), resolve(true)));
      socket.once("error", () => resolve(false));
    });
    if (open) return;
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
  throw new Error(`proxy did not listen on ${port}:\n${output.join("")}`);
}

function run(name: string, command: string, args: string[], env: Record<string, string>, port: number, dir: string): Promise<RunningProxy> {
  const child = spawn(command, args, { cwd: dir, env: { PATH: process.env.PATH ?? "", ...env }, stdio: ["ignore", "pipe", "pipe"] });
  const output: string[] = [];
  child.stdout!.setEncoding("utf8").on("data", (text: string) => output.push(text));
  child.stderr!.setEncoding("utf8").on("data", (text: string) => output.push(text));
  const exited = new Promise<void>((resolve) => child.once("exit", () => resolve()));
  const stop = async () => {
    if (child.exitCode === null) child.kill("SIGTERM");
    await exited;
    rmSync(dir, { recursive: true, force: true });
  };
  return waitForPort(port, child, output).then(
    () => ({ name, port, output, stop }),
    async (err: unknown) => {
      await stop();
      throw err;
    },
  );
}

/**
 * Real nginx (Debian package) running deploy/nginx/nginx.conf, with only its
 * ports changed and a temp folder for what nginx writes, in the foreground.
 * The validator: a loopback port, or an nginx server address such as `unix:/path/http.sock`.
 */
export async function startNginx(validator: number | string, upstreamPort: number): Promise<RunningProxy> {
  const dir = mkdtempSync(join(tmpdir(), "tessera-nginx-"));
  const port = await freePort();
  let conf = deployFile("nginx/nginx.conf");
  conf = substitute(conf, "server 127.0.0.1:9191;", `server ${typeof validator === "number" ? `127.0.0.1:${validator}` : validator};`);
  conf = substitute(conf, "server 127.0.0.1:3000;", `server 127.0.0.1:${upstreamPort};`);
  conf = substitute(conf, "listen 8000;", `listen 127.0.0.1:${port};`);
  const temp = ["client_body", "proxy", "fastcgi", "uwsgi", "scgi"].map((kind) => `    ${kind}_temp_path ${dir}/${kind};`).join("\n");
  conf = substitute(conf, "http {\n", `http {\n    access_log off;\n${temp}\n`);
  writeFileSync(join(dir, "nginx.conf"), conf);
  const globals = `daemon off; master_process off; pid ${dir}/nginx.pid; error_log stderr warn;`;
  return run("nginx", "nginx", ["-c", join(dir, "nginx.conf"), "-p", `${dir}/`, "-g", globals], {}, port, dir);
}

/** Real Caddy (Debian package) running deploy/caddy/Caddyfile, with only its ports changed, bound to loopback. */
export async function startCaddy(validatorHttpPort: number, upstreamPort: number): Promise<RunningProxy> {
  const dir = mkdtempSync(join(tmpdir(), "tessera-caddy-"));
  const port = await freePort();
  let conf = deployFile("caddy/Caddyfile");
  conf = substitute(conf, "forward_auth 127.0.0.1:9191 {", `forward_auth 127.0.0.1:${validatorHttpPort} {`);
  conf = substitute(conf, "reverse_proxy 127.0.0.1:3000 {", `reverse_proxy 127.0.0.1:${upstreamPort} {`);
  conf = substitute(conf, ":8001 {\n", `:${port} {\n\tbind 127.0.0.1\n`);
  writeFileSync(join(dir, "Caddyfile"), conf);
  return run("caddy", "caddy", ["run", "--config", join(dir, "Caddyfile"), "--adapter", "caddyfile"], { HOME: dir, XDG_DATA_HOME: dir, XDG_CONFIG_HOME: dir }, port, dir);
}
