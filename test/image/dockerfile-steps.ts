// Builds and starts the Dockerfile's image without Docker (there is no engine on CI
// machines): every instruction is carried out on a fresh clone in a temporary folder —
// COPY copies, RUN runs through sh in the stage's WORKDIR, USER runs the command as an
// unprivileged account — then the image's CMD is started without DATABASE_URL and must
// answer its health check and stop cleanly on SIGTERM. A Dockerfile that stops building
// or starting (an `npm ci` the lockfile fails, a folder its user cannot write) fails here.
//
//   npx tsx test/image/dockerfile-steps.ts        (run by .ci/run; about a minute)
//
// What it cannot do, and does instead: the base image's system packages are the host's
// (an apt-get install is checked with dpkg, not run); the image's `node` account (uid
// 1000) is this host's `nobody`; the service listens on a free port, not 8080, as other
// work may hold that port here.
import { execFileSync, spawn } from "node:child_process";
import { chmodSync, cpSync, mkdirSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { isAbsolute, join } from "node:path";
import { fileURLToPath } from "node:url";
import { parseDockerfile, parseEnv } from "../support/dockerfile.js";

const repo = fileURLToPath(new URL("../..", import.meta.url));
/** The image's accounts and this host's stand-ins for them. */
const accounts: Record<string, { user: string; group: string }> = { node: { user: "nobody", group: "nogroup" } };

interface Stage {
  readonly name: string | undefined;
  /** Where the stage's filesystem root ("/") is on this host. */
  readonly root: string;
  workdir: string;
  user: string | undefined;
  cmd: string[] | undefined;
  readonly env: Record<string, string>;
}

const log = (text: string) => process.stdout.write(`[dockerfile] ${text}\n`);

function inStage(stage: Stage, path: string): string {
  return isAbsolute(path) ? join(stage.root, path) : join(stage.root, stage.workdir, path);
}

/** The host environment a RUN sees: PATH and HOME (npm's cache), none of the caller's npm_* or TESSERA_* settings. */
function runEnv(stage: Stage): NodeJS.ProcessEnv {
  const clean = Object.fromEntries(Object.entries(process.env).filter(([key]) => !key.startsWith("npm_") && !key.startsWith("TESSERA_")));
  return { ...clean, ...stage.env };
}

function run(stage: Stage, command: string): void {
  // The base image's system packages: the host must have them; installing is not ours to do here.
  const apt = /apt-get install\s+(?:-\S+\s+)*((?:[a-z0-9][a-z0-9.+-]*\s*)+)/.exec(command);
  if (/^apt-get\b/.test(command) && apt) {
    const packages = apt[1]!.trim().split(/\s+/);
    execFileSync("dpkg", ["-s", ...packages], { stdio: "ignore" });
    log(`RUN apt-get install: present on this host: ${packages.join(" ")}`);
    return;
  }
  let hostCommand = command;
  for (const [account, standIn] of Object.entries(accounts)) hostCommand = hostCommand.replaceAll(`${account}:${account}`, `${standIn.user}:${standIn.group}`);
  log(`RUN ${command}`);
  const started = Date.now();
  execFileSync("sh", ["-c", hostCommand], { cwd: inStage(stage, "."), env: runEnv(stage), stdio: "inherit" });
  log(`  done in ${((Date.now() - started) / 1000).toFixed(1)} s`);
}

function copy(stage: Stage, args: string, contextDir: string, stages: readonly Stage[]): void {
  const words = args.split(/\s+/);
  const from = words.find((word) => word.startsWith("--from="))?.slice("--from=".length);
  const paths = words.filter((word) => !word.startsWith("--"));
  const dest = paths.pop()!;
  const source = from === undefined ? undefined : stages.find((s) => s.name === from);
  if (from !== undefined && !source) throw new Error(`COPY --from=${from}: no such stage`);
  for (const path of paths) {
    const src = source ? join(source.root, path) : join(contextDir, path);
    const target = dest.endsWith("/") ? join(inStage(stage, dest), path.split("/").pop()!) : inStage(stage, dest);
    mkdirSync(join(target, ".."), { recursive: true });
    cpSync(src, target, { recursive: true, verbatimSymlinks: true });
  }
  log(`COPY ${args}`);
}

/** The image's ENV as the service sees it: an absolute path under WORKDIR (TESSERA_DATA_DIR=/app/.tessera) points into the stage's folder. */
function imageEnv(stage: Stage): Record<string, string> {
  const workdir = stage.workdir.endsWith("/") ? stage.workdir : `${stage.workdir}/`;
  return Object.fromEntries(
    Object.entries(stage.env).map(([key, value]) => [key, stage.workdir !== "/" && value.startsWith(workdir) ? join(stage.root, value) : value]),
  );
}

/** Starts the last stage's CMD as its USER, without DATABASE_URL; resolves once it answers its health check, then stops it. */
async function startImage(stage: Stage): Promise<void> {
  if (!stage.cmd) throw new Error("the image has no CMD");
  const account = stage.user === undefined ? undefined : accounts[stage.user];
  if (stage.user !== undefined && !account) throw new Error(`USER ${stage.user}: no stand-in account on this host`);
  const asUser = account ? ["setpriv", `--reuid=${account.user}`, `--regid=${account.group}`, "--clear-groups", "--"] : [];
  const [file, ...args] = [...asUser, ...stage.cmd];
  log(`CMD ${stage.cmd.join(" ")} as ${account?.user ?? "root"}, no DATABASE_URL`);
  const child = spawn(file!, args, {
    cwd: inStage(stage, "."),
    env: { PATH: process.env.PATH, ...imageEnv(stage), TESSERA_ADMIN_PORT: "0", TESSERA_SHUTDOWN_DELAY_MS: "0" },
    stdio: ["ignore", "pipe", "pipe"],
  });
  let output = "";
  const exited = new Promise<number | null>((resolve) => child.once("exit", (code) => resolve(code)));
  const port = await new Promise<number>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`no "listening" line within 60 s:\n${output}`)), 60_000);
    const onData = (chunk: Buffer) => {
      output += String(chunk);
      const match = /"port":(\d+)[^\n]*"msg":"token-admin listening"/.exec(output);
      if (match) {
        clearTimeout(timer);
        resolve(Number(match[1]));
      }
    };
    child.stdout.on("data", onData);
    child.stderr.on("data", onData);
    void exited.then((code) => reject(new Error(`the image's command exited (${code}) before listening:\n${output}`)));
  });
  const health = await fetch(`http://127.0.0.1:${port}/grpc.health.v1.Health/Check`, { method: "POST", headers: { "content-type": "application/json" }, body: "{}" });
  const status = (await health.json()) as { status?: string };
  if (status.status !== "SERVING") throw new Error(`health check answered ${JSON.stringify(status)}`);
  log(`listening on ${port} as ${account?.user ?? "root"}; health: SERVING`);
  child.kill("SIGTERM");
  const code = await exited;
  if (code !== 0 || !output.includes('"msg":"stopped"')) throw new Error(`SIGTERM: exit ${code}, output:\n${output}`);
  log("SIGTERM: stopped, exit 0");
}

async function main(): Promise<void> {
  const started = Date.now();
  const work = mkdtempSync(join(tmpdir(), "tessera-image-"));
  // The unprivileged account must be able to reach the image's files, as in a container.
  chmodSync(work, 0o755);
  try {
    const contextDir = join(work, "context");
    execFileSync("git", ["clone", "--quiet", "--no-hardlinks", repo, contextDir]);
    const dirty = execFileSync("git", ["status", "--porcelain", "--untracked-files=no"], { cwd: repo, encoding: "utf8" });
    log(`fresh clone of ${repo} at HEAD${dirty ? " (uncommitted changes are not in it)" : ""}`);
    const instructions = parseDockerfile(readFileSync(join(contextDir, "Dockerfile"), "utf8"));
    const stages: Stage[] = [];
    let stage: Stage | undefined;
    for (const { keyword, args } of instructions) {
      if (keyword === "FROM") {
        const [image, as, name] = args.split(/\s+/);
        const root = join(work, `stage-${stages.length}`);
        mkdirSync(root, { mode: 0o755 });
        stage = { name: as?.toUpperCase() === "AS" ? name : undefined, root, workdir: "/", user: undefined, cmd: undefined, env: {} };
        stages.push(stage);
        log(`FROM ${image}${stage.name ? ` (stage ${stage.name})` : ""}`);
        continue;
      }
      if (!stage) throw new Error(`${keyword} before FROM`);
      switch (keyword) {
        case "WORKDIR":
          stage.workdir = args;
          mkdirSync(inStage(stage, "."), { recursive: true, mode: 0o755 });
          break;
        case "ENV":
          Object.assign(stage.env, parseEnv(args));
          break;
        case "COPY":
          copy(stage, args, contextDir, stages);
          break;
        case "RUN":
          run(stage, args);
          break;
        case "USER":
          stage.user = args;
          break;
        case "CMD":
          stage.cmd = JSON.parse(args) as string[];
          break;
        case "EXPOSE":
        case "VOLUME":
          break;
        default:
          throw new Error(`${keyword}: not an instruction this runner knows; teach it, so that the check keeps covering the Dockerfile`);
      }
    }
    await startImage(stages.at(-1)!);
    log(`the image builds and starts: ${((Date.now() - started) / 1000).toFixed(0)} s`);
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
}

await main();
