import { hostname } from "node:os";
import { z } from "zod";
import { commonEnv, flag, loadConfig, millis, port } from "@tessera/shared/config/load-config";

const validatorEnv = z
  .object({
    ...commonEnv,
    TESSERA_VALIDATOR_PORT: port(9090),
    TESSERA_VALIDATOR_HTTP_PORT: port(9191),
    TESSERA_VALIDATOR_ID: z.string().regex(/^[A-Za-z0-9._-]{1,100}$/).optional(),
    TESSERA_POLL_INTERVAL_MS: millis(1000),
    TESSERA_MAX_STALENESS_MS: millis(5000),
    TESSERA_DEGRADED_MAX_MS: millis(60_000),
    TESSERA_FAIL_OPEN: flag(false),
    TESSERA_HEARTBEAT_MS: millis(1000),
    TESSERA_DB_POOL_SIZE: z.coerce.number().int().min(1).max(20).default(2),
    TESSERA_SHUTDOWN_GRACE_MS: millis(5000),
    TESSERA_USAGE_FLUSH_MS: millis(10_000),
  })
  .refine((env) => !env.DATABASE_URL || env.TESSERA_PEPPER, {
    path: ["TESSERA_PEPPER"],
    message: "is required with DATABASE_URL (the same value token-admin uses)",
  })
  .refine((env) => env.TESSERA_POLL_INTERVAL_MS < env.TESSERA_MAX_STALENESS_MS, {
    path: ["TESSERA_POLL_INTERVAL_MS"],
    message: "must be below TESSERA_MAX_STALENESS_MS, or a healthy validator would count as stale",
  })
  .refine((env) => env.TESSERA_DEGRADED_MAX_MS >= env.TESSERA_MAX_STALENESS_MS, {
    path: ["TESSERA_DEGRADED_MAX_MS"],
    message: "must be at least TESSERA_MAX_STALENESS_MS",
  })
  .transform((env) => ({
    databaseUrl: env.DATABASE_URL,
    redisUrl: env.REDIS_URL,
    dataDir: env.TESSERA_DATA_DIR,
    pepper: env.TESSERA_PEPPER,
    host: env.TESSERA_HOST,
    grpcPort: env.TESSERA_VALIDATOR_PORT,
    httpPort: env.TESSERA_VALIDATOR_HTTP_PORT,
    logLevel: env.TESSERA_LOG_LEVEL,
    redisPrefix: env.TESSERA_REDIS_PREFIX,
    validatorId: env.TESSERA_VALIDATOR_ID ?? `${hostname()}-${process.pid}`,
    pollIntervalMs: env.TESSERA_POLL_INTERVAL_MS,
    maxStalenessMs: env.TESSERA_MAX_STALENESS_MS,
    degradedMaxMs: env.TESSERA_DEGRADED_MAX_MS,
    failOpen: env.TESSERA_FAIL_OPEN,
    heartbeatMs: env.TESSERA_HEARTBEAT_MS,
    dbPoolSize: env.TESSERA_DB_POOL_SIZE,
    shutdownGraceMs: env.TESSERA_SHUTDOWN_GRACE_MS,
    usageFlushMs: env.TESSERA_USAGE_FLUSH_MS,
  }));

export type ValidatorConfig = Readonly<z.output<typeof validatorEnv>>;

/** token-validator's settings from the environment, validated once. */
export function loadValidatorConfig(env: NodeJS.ProcessEnv = process.env): ValidatorConfig {
  return loadConfig(validatorEnv, env);
}
