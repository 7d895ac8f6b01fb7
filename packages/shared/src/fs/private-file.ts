import { mkdirSync, renameSync, unlinkSync, writeFileSync } from "node:fs";
import { dirname } from "node:path";

/**
 * Writes `content` to `path` readable by the owner alone (0600), replacing any
 * earlier file at once: written beside it under a temporary name, then renamed,
 * so no reader ever sees half a secret or a file with looser permissions. A
 * missing parent folder is created 0700.
 */
export function writePrivateFile(path: string, content: string): void {
  mkdirSync(dirname(path), { recursive: true, mode: 0o700 });
  const temporary = `${path}.${process.pid}.tmp`;
  writeFileSync(temporary, content, { mode: 0o600, flag: "wx" });
  try {
    renameSync(temporary, path);
  } catch (err) {
    unlinkSync(temporary);
    throw err;
  }
}
