// Reading the Dockerfile: test/image/dockerfile-steps.ts carries it out without
// Docker, and the bench runs a snapshot load with the environment the image gives.

export interface Instruction {
  readonly keyword: string;
  readonly args: string;
}

/** The Dockerfile's instructions, continuation lines joined, comments dropped. */
export function parseDockerfile(text: string): Instruction[] {
  return text
    .replace(/\\\n/g, " ")
    .split("\n")
    .map((line) => line.trim())
    .filter((line) => line !== "" && !line.startsWith("#"))
    .map((line) => {
      const [keyword, ...rest] = line.split(/\s+/);
      return { keyword: keyword!.toUpperCase(), args: rest.join(" ") };
    });
}

/** ENV's `a=b c=d` form. */
export function parseEnv(args: string): Record<string, string> {
  const env: Record<string, string> = {};
  for (const pair of args.match(/\S+=("[^"]*"|\S*)/g) ?? []) {
    const at = pair.indexOf("=");
    env[pair.slice(0, at)] = pair.slice(at + 1).replace(/^"(.*)"$/, "$1");
  }
  return env;
}

/** The ENV the image's last stage (the one that runs) sets. */
export function runtimeEnv(dockerfile: string): Record<string, string> {
  const instructions = parseDockerfile(dockerfile);
  const lastFrom = instructions.findLastIndex((instruction) => instruction.keyword === "FROM");
  return Object.assign({}, ...instructions.slice(lastFrom).filter((instruction) => instruction.keyword === "ENV").map((instruction) => parseEnv(instruction.args)));
}
