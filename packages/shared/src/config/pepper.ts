import { randomBytes } from "node:crypto";
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { ensurePrivateDir } from "../fs/private-dir.js";

/**
 * The HMAC key for token digests: TESSERA_PEPPER when set; otherwise (embedded
 * mode only) a random one generated on first start and kept in the data folder,
 * readable by the owner alone. Losing it invalidates every token.
 */
export function resolvePepper(configured: string | undefined, dataDir: string): string {
  if (configured) return configured;
  const file = join(dataDir, "pepper");
  try {
    return readFileSync(file, "utf8").trim();
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== "ENOENT") throw err;
  }
  ensurePrivateDir(dataDir);
  const pepper = randomBytes(32).toString("base64url");
  // "wx": never overwrite a pepper another process wrote a moment ago.
  try {
    writeFileSync(file, pepper, { mode: 0o600, flag: "wx" });
    return pepper;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === "EEXIST") return readFileSync(file, "utf8").trim();
    throw err;
  }
}
