import { chmodSync, mkdirSync, statSync } from "node:fs";

/**
 * Creates `dir` (and its parents) readable by the owner alone, or tightens an
 * existing one to 0700: it holds the pepper and the database, which together
 * let anyone mint tokens.
 */
export function ensurePrivateDir(dir: string): void {
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  const stat = statSync(dir);
  // Only our own folder: a shared parent someone pointed TESSERA_DATA_DIR at is not ours to change.
  if ((stat.mode & 0o077) !== 0 && stat.uid === process.getuid?.()) chmodSync(dir, 0o700);
}
