import { PassThrough } from "node:stream";
import { runCli } from "../../packages/cli/src/program.js";

export interface CliRun {
  readonly code: number;
  readonly out: string;
  readonly err: string;
}

/** Runs `tessera …` in this process with `env` as its whole environment and `stdin` piped in; returns the exit code and output. */
export async function runTessera(args: readonly string[], env: Record<string, string | undefined>, stdinText = ""): Promise<CliRun> {
  const [stdin, stdout, stderr] = [new PassThrough(), new PassThrough(), new PassThrough()];
  let out = "";
  let err = "";
  stdout.on("data", (c) => (out += String(c)));
  stderr.on("data", (c) => (err += String(c)));
  stdin.end(stdinText);
  const defined = Object.fromEntries(Object.entries(env).filter((entry): entry is [string, string] => entry[1] !== undefined));
  const code = await runCli([...args], { stdin, stdout, stderr, env: defined });
  return { code, out, err };
}
