import { writePrivateFile } from "@tessera/shared/fs/private-file";
import type { Logger } from "@tessera/shared/log/logger";
import type { AdminConfig } from "./config.js";

/** A new built-in admin token to give the operator. */
export interface AdminTokenToHandOver {
  readonly adminToken: string;
  readonly expiresAt: Date;
}

/**
 * Gives the built-in admin's new token to the operator, once. In production (a
 * DATABASE_URL) it is written to TESSERA_ADMIN_TOKEN_FILE, 0600, and never to
 * stdout or a log — container logs are read by many; a file that cannot be
 * written is logged with how to recover. Embedded, `printBanner` shows it on
 * the terminal. Returns the file written, if any, and logs where it went
 * (never the token).
 */
export function handOverAdminToken(
  config: Pick<AdminConfig, "databaseUrl" | "adminTokenFile">,
  token: AdminTokenToHandOver,
  printBanner: () => void,
  log?: Logger,
): string | undefined {
  if (!config.databaseUrl) {
    printBanner();
    return undefined;
  }
  try {
    writePrivateFile(config.adminTokenFile, `${token.adminToken}\n`);
  } catch (err) {
    // The store is bootstrapped and the token is gone with this process: say how to get another.
    log?.error(
      { file: config.adminTokenFile, err: (err as Error).message },
      "cannot write the built-in admin token: set TESSERA_ADMIN_TOKEN_FILE to a path this user may write, then run `npm run recover-admin` for a new one",
    );
    return undefined;
  }
  log?.info({ file: config.adminTokenFile, expiresAt: token.expiresAt.toISOString() }, "built-in admin token written to its file (readable by this user only; TESSERA_ADMIN_TOKEN_FILE)");
  return config.adminTokenFile;
}
