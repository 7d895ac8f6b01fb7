import { createInterface } from "node:readline/promises";
import { Writable } from "node:stream";
import type { CliIo } from "./cli-io.js";

/** Reads one line from stdin; echo is muted when stdin is a terminal. "" when stdin closes first. */
async function readLine(io: CliIo, question: string): Promise<string> {
  const tty = io.stdin.isTTY ?? false;
  const muted = new Writable({ write: (_chunk, _encoding, done) => done() });
  if (tty) io.stderr.write(question);
  const prompt = createInterface({ input: io.stdin, output: tty ? muted : io.stderr, terminal: tty });
  try {
    const answer = await Promise.race([prompt.question(""), new Promise<string>((resolve) => prompt.once("close", () => resolve("")))]);
    if (tty) io.stderr.write("\n");
    return answer;
  } finally {
    prompt.close();
  }
}

/**
 * A password from TESSERA_PASSWORD, else typed at the terminal (twice, when it
 * is a new one), else the first line of piped stdin. Undefined when none was
 * given or the two typed differ: the caller refuses rather than go on without.
 */
export async function readPassword(io: CliIo, kind: "new" | "current"): Promise<string | undefined> {
  const fromEnv = io.env.TESSERA_PASSWORD;
  if (fromEnv) return fromEnv;
  const first = await readLine(io, kind === "new" ? "New password: " : "Password: ");
  if (!first) return undefined;
  if (kind === "new" && io.stdin.isTTY) {
    if ((await readLine(io, "Again: ")) !== first) {
      io.stderr.write("The passwords differ.\n");
      return undefined;
    }
  }
  return first;
}

/** What to say when readPassword found none. */
export const noPasswordMessage =
  "error: no password: set TESSERA_PASSWORD, pipe it on stdin, or run this at a terminal to type it; nothing changed\n";
