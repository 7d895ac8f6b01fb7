import { PassThrough } from "node:stream";
import { runCli } from "../../packages/cli/src/program.js";

/** Runs `tessera …` in this process against the given admin port, as `token`; returns the exit code and output. */
export async function tesseraCli(adminPort: number, args: string[], token: string, stdinText = "") {
  const stdin = new PassThrough();
  const stdout = new PassThrough();
  const stderr = new PassThrough();
  let out = "";
  let err = "";
  stdout.on("data", (c) => (out += String(c)));
  stderr.on("data", (c) => (err += String(c)));
  stdin.end(stdinText);
  const code = await runCli(args, { stdin, stdout, stderr, env: { TESSERA_ADMIN_URL: `http://127.0.0.1:${adminPort}`, TESSERA_TOKEN: token } });
  return { code, out, err };
}

/** Waits until the wall clock has passed `ms` (a cut-off is whole seconds: tokens made in its second count as before it). */
export async function waitUntilPast(ms: number): Promise<void> {
  while (Date.now() <= ms) await new Promise((resolve) => setTimeout(resolve, Math.max(5, ms - Date.now() + 5)));
}
