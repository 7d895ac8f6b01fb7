import { fileURLToPath } from "node:url";
import { z } from "zod";
import { commonEnv, loadConfig, millis, port } from "@tessera/shared/config/load-config";

const adminEnv = z
  .object({
    ...commonEnv,
    TESSERA_ADMIN_PORT: port(8080),
    TESSERA_DB_POOL_SIZE: z.coerce.number().int().min(1).max(100).default(10),
    TESSERA_SHUTDOWN_GRACE_MS: millis(10_000),
    TESSERA_USAGE_WRITE_MS: millis(5000),
    TESSERA_SESSION_TTL_MS: millis(8 * 3600 * 1000),
    TESSERA_SIGN_IN_MAX_FAILURES: z.coerce.number().int().min(1).max(1000).default(5),
    TESSERA_SIGN_IN_WINDOW_MS: millis(15 * 60 * 1000),
    // The built web console (`npm run build`); from src/ and dist/ alike this is dist/console.
    TESSERA_CONSOLE_DIR: z.string().min(1).default(fileURLToPath(new URL("../dist/console/", import.meta.url))),
  })
  .refine((env) => !env.DATABASE_URL || env.TESSERA_PEPPER, {
    path: ["TESSERA_PEPPER"],
    message: "is required with DATABASE_URL (every admin and validator must share it)",
  })
  .transform((env) => ({
    databaseUrl: env.DATABASE_URL,
    redisUrl: env.REDIS_URL,
    dataDir: env.TESSERA_DATA_DIR,
    pepper: env.TESSERA_PEPPER,
    host: env.TESSERA_HOST,
    port: env.TESSERA_ADMIN_PORT,
    logLevel: env.TESSERA_LOG_LEVEL,
    redisPrefix: env.TESSERA_REDIS_PREFIX,
    dbPoolSize: env.TESSERA_DB_POOL_SIZE,
    shutdownGraceMs: env.TESSERA_SHUTDOWN_GRACE_MS,
    usageWriteMs: env.TESSERA_USAGE_WRITE_MS,
    sessionTtlMs: env.TESSERA_SESSION_TTL_MS,
    signInMaxFailures: env.TESSERA_SIGN_IN_MAX_FAILURES,
    signInWindowMs: env.TESSERA_SIGN_IN_WINDOW_MS,
    consoleDir: env.TESSERA_CONSOLE_DIR,
  }));

export type AdminConfig = Readonly<z.output<typeof adminEnv>>;

/** token-admin's settings from the environment, validated once. */
export function loadAdminConfig(env: NodeJS.ProcessEnv = process.env): AdminConfig {
  return loadConfig(adminEnv, env);
}
