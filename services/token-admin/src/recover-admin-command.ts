import type { Writable } from "node:stream";
import { hostname, userInfo } from "node:os";
import { openBus } from "@tessera/shared/bus/open-bus";
import { resolvePepper } from "@tessera/shared/config/pepper";
import { openDatabase } from "@tessera/shared/db/database";
import { describeDatabaseFailure } from "@tessera/shared/db/database-errors";
import { TesseraError } from "@tessera/shared/errors/tessera-error";
import { createLogger } from "@tessera/shared/log/logger";
import { Closers } from "@tessera/shared/runtime/closers";
import { describeStartupFailure } from "@tessera/shared/runtime/start-or-exit";
import { StartupError } from "@tessera/shared/runtime/startup-error";
import { createDigester } from "@tessera/shared/token/token-digest";
import { createTokenFormat } from "@tessera/shared/token/token-format";
import { handOverAdminToken } from "./admin-token-handover.js";
import { loadAdminConfig } from "./config.js";
import { recoverAdmin } from "./domain/recover-admin.js";
import { migrateToLatest } from "./store/migrate.js";

/** Where the recovery writes: the process's streams, or a test's. */
export interface RecoveryIo {
  readonly stdout: Writable;
  readonly stderr: Writable;
}

function recoveredBanner(adminToken: string, expiresAt: Date): string {
  return [
    "",
    "A new built-in admin token — shown this once; every earlier one is revoked:",
    "",
    `  TESSERA_TOKEN=${adminToken}`,
    "",
    `It expires ${expiresAt.toISOString()} (TESSERA_ADMIN_TOKEN_TTL_MS).`,
    "",
  ].join("\n");
}

/**
 * The local recovery of the built-in admin (`npm run recover-admin`, `tessera
 * admin recover`): with token-admin's own environment it opens the database
 * directly — no API, no token needed, so whoever runs it must already be
 * trusted with the database — revokes the built-in admin's tokens, mints a new
 * one, and hands it over as a first start does (a 0600 file in production, the
 * terminal embedded). The change is audited and published on the feed, so
 * validators refuse the old token at once. Resolves to the exit code.
 */
export async function runAdminRecovery(env: NodeJS.ProcessEnv, io: RecoveryIo): Promise<number> {
  const closers = new Closers();
  try {
    const config = loadAdminConfig(env);
    const log = createLogger(config.logLevel === "silent" ? "silent" : "warn", "recover-admin");
    // Embedded, this takes the data folder's lock: it refuses while Tessera runs on it.
    const database = closers.add(await openDatabase({ url: config.databaseUrl, dataDir: config.dataDir, poolSize: 1, applicationName: "tessera-recover-admin" }), (db) => db.close());
    await migrateToLatest(database.db).catch((err: unknown) => {
      throw new StartupError(describeDatabaseFailure(err, database.engine === "pglite" ? "TESSERA_DATA_DIR" : "DATABASE_URL"), { cause: err });
    });
    const pepper = resolvePepper(config.pepper, config.dataDir);
    // Closing waits for the publish queued before it.
    const bus = closers.add(openBus({ redis: config.redis, redisCa: config.redisCa, prefix: config.redisPrefix, pepper, log }), (b) => b.close());
    const deps = { db: database.db, feed: bus.feed, digest: createDigester(pepper), tokenFormat: createTokenFormat(config.tokenPrefix), now: () => new Date(), log };
    const source = `local recovery by ${userInfo().username}@${hostname()} (pid ${process.pid})`;
    const recovered = await recoverAdmin(deps, { ttlMs: config.adminTokenTtlMs, source });
    const file = handOverAdminToken(config, recovered, () => io.stdout.write(recoveredBanner(recovered.adminToken, recovered.expiresAt)));
    if (file) {
      io.stdout.write(`new built-in admin token written to ${file} (readable by this user only), expiring ${recovered.expiresAt.toISOString()}; ${recovered.revoked} earlier token(s) revoked\n`);
    }
    return 0;
  } catch (err) {
    io.stderr.write(`recover-admin: cannot recover: ${err instanceof TesseraError ? err.message : describeStartupFailure(err)}\n`);
    return 1;
  } finally {
    await closers.closeAll();
  }
}
