import { spawn } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ValidationCode } from "@tessera/shared/gen/tessera/v1/validator_pb";
import { adminClient, validatorClient } from "./support/clients.js";
import { spawnService, type SpawnedService } from "./support/spawn-service.js";

const root = fileURLToPath(new URL("..", import.meta.url));

/** The README's "Command line" section: its fenced sh blocks, as the lines a user would paste. */
function readmeCliLines(): string[] {
  const readme = readFileSync(join(root, "README.md"), "utf8");
  const section = readme.split(/^## /m).find((part) => part.startsWith("Command line\n"));
  if (!section) throw new Error('README.md has no "## Command line" section');
  const blocks = [...section.matchAll(/^```sh\n([\s\S]*?)^```$/gm)].map((match) => match[1]!);
  return blocks
    .join("")
    .replace(/\\\n/g, " ") // continuation lines are one command
    .split("\n")
    .filter((line) => line.trim() !== "" && !line.trim().startsWith("#"));
}

interface PastedLine {
  readonly line: string;
  readonly exitCode: number;
  readonly output: string;
}

/**
 * Runs `lines` through one bash, in order, as pasted at a prompt: variables
 * carry from line to line, there is no terminal, stdin is empty. Reports each
 * line's exit status and what it printed (stdout and stderr).
 */
async function paste(lines: readonly string[], env: Record<string, string>, workDir: string): Promise<{ results: PastedLine[]; trailer: string }> {
  const marker = "@@tessera-readme-line";
  const script = [...lines.flatMap((line, i) => [line, `printf '\\n${marker} %d %d\\n' ${i} $?`]), `printf '${marker}-vars %s %s\\n' "$TOKEN" "$ID"`].join("\n");
  const file = join(workDir, "pasted.sh");
  writeFileSync(file, `${script}\n`);
  const child = spawn("bash", ["--noprofile", "--norc", file], { cwd: workDir, env, stdio: ["ignore", "pipe", "pipe"] });
  let output = "";
  child.stdout.setEncoding("utf8").on("data", (chunk: string) => (output += chunk));
  child.stderr.setEncoding("utf8").on("data", (chunk: string) => (output += chunk));
  await new Promise((resolve) => child.once("close", resolve));
  const results: PastedLine[] = [];
  let rest = output;
  for (const [i, line] of lines.entries()) {
    const match = new RegExp(`\\n${marker} ${i} (\\d+)\\n`).exec(rest);
    if (!match) throw new Error(`line ${i} (${line}) left no exit status; output:\n${rest}`);
    results.push({ line, exitCode: Number(match[1]), output: rest.slice(0, match.index) });
    rest = rest.slice(match.index + match[0].length);
  }
  return { results, trailer: rest };
}

describe("the README's command-line examples, pasted in order against npm start", () => {
  let dataDir: string;
  let tessera: SpawnedService;
  let adminPort: number;
  let validatorPort: number;
  let banner: string[];

  beforeAll(async () => {
    dataDir = mkdtempSync(join(tmpdir(), "tessera-readme-"));
    tessera = spawnService("embedded", { TESSERA_SHUTDOWN_DELAY_MS: "0", TESSERA_DATA_DIR: join(dataDir, "data"), TESSERA_ADMIN_PORT: "0", TESSERA_VALIDATOR_PORT: "0", TESSERA_VALIDATOR_HTTP_PORT: "0" });
    const ready = await tessera.waitForLog((l) => l.msg === "tessera embedded: ready", 60_000);
    adminPort = Number(ready.adminPort);
    validatorPort = Number(ready.validatorPort);
    banner = tessera.lines;
  });

  afterAll(async () => {
    await tessera?.stop();
    rmSync(dataDir, { recursive: true, force: true });
  });

  it("the banner's export lines, then every line of the block, each exiting 0", async () => {
    // What a user copies from the banner: the token, and the addresses when they are not the defaults.
    const exports = banner.map((line) => line.trim()).filter((line) => line.startsWith("export TESSERA_"));
    expect(exports.some((line) => /^export TESSERA_TOKEN=tsr_pat_\w{36}$/.test(line))).toBe(true);
    expect(exports).toContain(`export TESSERA_ADMIN_URL=http://127.0.0.1:${adminPort}`);
    expect(exports).toContain(`export TESSERA_VALIDATOR_URL=http://127.0.0.1:${validatorPort}`);

    const readme = readmeCliLines();
    expect(readme[0]).toMatch(/^export TESSERA_TOKEN=tsr_pat_…/);
    expect(readme.filter((line) => /\btessera\b/.test(line)).length).toBeGreaterThan(15);
    // The README's placeholder line stands for the banner's lines.
    const lines = [...exports, ...readme.slice(1)];
    const env = { PATH: `${join(root, "node_modules/.bin")}:${process.env.PATH}`, HOME: dataDir, LANG: "C.UTF-8" };
    const { results, trailer } = await paste(lines, env, dataDir);

    const failed = results.filter((r) => r.exitCode !== 0).map((r) => `${r.line}\n  → exit ${r.exitCode}: ${r.output.trim()}`);
    expect(failed).toEqual([]);
    // `TOKEN=$(…)` captured the token alone (here the regenerated value), and it was valid.
    const [, token, id] = /@@tessera-readme-line-vars (\S*) (\S*)/.exec(trailer) ?? [];
    expect(token).toMatch(/^tsr_pat_\w{36}$/);
    expect(id).toMatch(/^[0-9a-f-]{36}$/);
    const validate = results.find((r) => r.line.includes("tessera validate"))!;
    expect(JSON.parse(validate.output)).toMatchObject({ valid: true });
    // The whoami run with the session names ana, and the last line changed the policy.
    expect(results.find((r) => r.line.startsWith("TESSERA_TOKEN=$SESSION"))!.output).toContain("ana (member)");
    expect(results.at(-1)!.output).toContain('"timeZone": "Europe/Berlin"');
  });

  it("left the system as the block says: the token revoked and deleted, ana signing in with her new password", async () => {
    const adminToken = banner.map((line) => /export TESSERA_TOKEN=(tsr_pat_\w+)/.exec(line)?.[1]).find(Boolean)!;
    const api = adminClient(adminPort, adminToken);
    expect((await api.listTokens({ nameContains: "ci" })).tokens).toEqual([]);
    const validation = validatorClient(validatorPort);
    try {
      const { principals } = await api.listPrincipals({});
      expect(principals.map((p) => p.name)).toContain("ana");
      const anonymous = adminClient(adminPort);
      await expect(anonymous.signIn({ organisation: "default", userName: "ana", password: "correct horse battery staple" })).rejects.toThrow();
      const session = await anonymous.signIn({ organisation: "default", userName: "ana", password: "another long passphrase" });
      // A session is for the admin API and the console; validators do not accept it.
      expect((await adminClient(adminPort, session.sessionToken).getCaller({})).principal?.name).toBe("ana");
      expect((await validation.validate(session.sessionToken)).code).toBe(ValidationCode.NOT_FOUND);
    } finally {
      validation.close();
    }
  });
});
