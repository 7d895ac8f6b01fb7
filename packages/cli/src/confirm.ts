import { createInterface } from "node:readline/promises";
import type { CliIo } from "./cli-io.js";

/**
 * Asks the user to type `expected` to go on — the "are you sure?" of a
 * destructive command. False on anything else, or when stdin closes.
 */
export async function confirmByTyping(io: CliIo, question: string, expected: string): Promise<boolean> {
  const prompt = createInterface({ input: io.stdin, output: io.stderr, terminal: false });
  try {
    const answer = await Promise.race([
      prompt.question(`${question}\nType "${expected}" to confirm: `),
      new Promise<string>((resolve) => prompt.once("close", () => resolve(""))),
    ]);
    return answer.trim() === expected;
  } finally {
    prompt.close();
  }
}
