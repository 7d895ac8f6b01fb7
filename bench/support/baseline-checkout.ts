import { execFileSync } from "node:child_process";
import { existsSync, mkdirSync, readdirSync, symlinkSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";

const root = fileURLToPath(new URL("../..", import.meta.url));

/** The workspaces, as node_modules/@tessera links them. */
const workspaces: Record<string, string> = {
  shared: "packages/shared",
  cli: "packages/cli",
  "token-admin": "services/token-admin",
  "token-validator": "services/token-validator",
  embedded: "services/embedded",
};

/**
 * A built copy of the project at git `ref`, to measure today's code against an
 * earlier one in the same run. Extracted with `git archive` (no worktree is
 * registered), sharing this checkout's installed packages except the workspaces
 * themselves, and built with this checkout's tsc. Kept in /tmp by commit, so a
 * second run reuses it.
 */
export function baselineCheckout(ref: string): string {
  const sha = execFileSync("git", ["rev-parse", "--verify", `${ref}^{commit}`], { cwd: root, encoding: "utf8" }).trim();
  const dir = `/tmp/tessera-bench-baseline-${sha.slice(0, 12)}`;
  if (existsSync(join(dir, "services/token-admin/dist/start-token-admin.js"))) return dir;
  mkdirSync(dir, { recursive: true });
  execFileSync("sh", ["-c", `git archive ${sha} | tar -x -C ${dir}`], { cwd: root });
  const modules = join(dir, "node_modules");
  mkdirSync(join(modules, "@tessera"), { recursive: true });
  for (const entry of readdirSync(join(root, "node_modules"))) {
    if (entry !== "@tessera" && !existsSync(join(modules, entry))) symlinkSync(join(root, "node_modules", entry), join(modules, entry));
  }
  for (const [name, path] of Object.entries(workspaces)) {
    if (!existsSync(join(modules, "@tessera", name))) symlinkSync(join(dir, path), join(modules, "@tessera", name));
  }
  execFileSync(process.execPath, [join(root, "node_modules/typescript/bin/tsc"), "-b"], { cwd: dir, stdio: "inherit" });
  return dir;
}
