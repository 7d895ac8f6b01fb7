import { runTessera } from "../support/cli-runner.js";

/** Runs `tessera …` in this process against the given admin port, as `token`; returns the exit code and output. */
export const tesseraCli = (adminPort: number, args: string[], token: string, stdinText = "") =>
  runTessera(args, { TESSERA_ADMIN_URL: `http://127.0.0.1:${adminPort}`, TESSERA_TOKEN: token }, stdinText);

/** Waits until the wall clock has passed `ms` (a cut-off is whole seconds: tokens made in its second count as before it). */
export async function waitUntilPast(ms: number): Promise<void> {
  while (Date.now() <= ms) await new Promise((resolve) => setTimeout(resolve, Math.max(5, ms - Date.now() + 5)));
}
