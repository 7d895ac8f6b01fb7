import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { z } from "zod";
import { commonEnv, commonSettingsOf, connectionEnv, connectionLimitsOf, loadConfig, millis, port, tracingOptions } from "@tessera/shared/config/load-config";
import { serverTlsEnv, withServerTls } from "@tessera/shared/config/tls-config";
import { defaultAdminTokenTtlMs } from "./domain/bootstrap.js";
import { maxWaitMs } from "./transport/parse.js";

/** token-admin's environment: every variable it reads (`.in.shape`), checked and turned into its config. */
export const adminEnv = z
  .object({
    ...commonEnv,
    ...serverTlsEnv,
    TESSERA_ADMIN_PORT: port(8080),
    // Admin clients are people, the CLI and automation: a thousand connections is plenty, and stays
    // below a 1024 open-file limit with room for the database pool and Redis.
    // A request may wait up to 30 s for validators (await_validators): the request bound must exceed it.
    ...connectionEnv({ maxConnections: 1000, requestTimeoutMs: 60_000 }),
    TESSERA_DB_POOL_SIZE: z.coerce.number().int().min(1).max(100).default(10),
    TESSERA_SHUTDOWN_GRACE_MS: millis(10_000),
    // Between reporting NOT_SERVING and draining: long enough for balancers to notice.
    TESSERA_SHUTDOWN_DELAY_MS: z.coerce.number().int().min(0).max(120_000).default(2000),
    // How often the feed head is published as a proof for validators: well below their TESSERA_MAX_STALENESS_MS.
    TESSERA_FEED_HEARTBEAT_MS: millis(1000),
    // Fault injection for tests only: hold each publish this long after its commit, so a test can
    // kill token-admin in between. Never set it in production.
    TESSERA_FAULT_PUBLISH_DELAY_MS: z.coerce.number().int().min(0).max(60_000).default(0),
    TESSERA_USAGE_WRITE_MS: millis(5000),
    // Where each token was used from: the most recently seen distinct sources kept per token.
    TESSERA_USAGE_SOURCES_PER_TOKEN: z.coerce.number().int().min(1).max(100).default(10),
    // Rotation that finishes itself: after RegenerateToken with a grace period, the previous value is
    // revoked once validators have not seen it for this long (a request's quiet_period overrides; 0: never early).
    // Keep it well above the validators' TESSERA_USAGE_FLUSH_MS plus TESSERA_USAGE_WRITE_MS, the delay of a use's report.
    TESSERA_ROTATION_QUIET_PERIOD_MS: z.coerce.number().int().min(0).max(30 * 86_400_000).default(3_600_000),
    // How often rotations in their grace period are checked.
    TESSERA_ROTATION_CHECK_MS: millis(10_000),
    TESSERA_SESSION_TTL_MS: millis(8 * 3600 * 1000),
    // The built-in admin's token: how long it lives, and (with DATABASE_URL) the file it is written to instead of stdout.
    TESSERA_ADMIN_TOKEN_TTL_MS: millis(defaultAdminTokenTtlMs),
    TESSERA_ADMIN_TOKEN_FILE: z.string().min(1).optional(),
    // Failures a principal may have before each further attempt is delayed (a source may make 10× as many attempts).
    TESSERA_SIGN_IN_MAX_FAILURES: z.coerce.number().int().min(1).max(1000).default(5),
    // The first delay; it doubles with each further failure, up to the maximum. Slowed, never locked out.
    TESSERA_SIGN_IN_DELAY_MS: millis(1000),
    TESSERA_SIGN_IN_MAX_DELAY_MS: millis(60_000),
    TESSERA_SIGN_IN_WINDOW_MS: millis(15 * 60 * 1000),
    // The built web console (`npm run build`); from src/ and dist/ alike this is dist/console.
    TESSERA_CONSOLE_DIR: z.string().min(1).default(fileURLToPath(new URL("../dist/console/", import.meta.url))),
  })
  .refine((env) => !env.DATABASE_URL || env.TESSERA_PEPPER, {
    path: ["TESSERA_PEPPER"],
    message: "is required with DATABASE_URL (every admin and validator must share it)",
  })
  .refine((env) => env.TESSERA_SIGN_IN_DELAY_MS <= env.TESSERA_SIGN_IN_MAX_DELAY_MS, {
    path: ["TESSERA_SIGN_IN_DELAY_MS"],
    message: "must not exceed TESSERA_SIGN_IN_MAX_DELAY_MS",
  })
  .refine((env) => env.TESSERA_REQUEST_TIMEOUT_MS > maxWaitMs, {
    path: ["TESSERA_REQUEST_TIMEOUT_MS"],
    message: `must exceed ${maxWaitMs} ms, the longest a call may wait for validators`,
  })
  .transform((env, ctx) => {
    const { tls } = withServerTls(env, ctx);
    return {
      ...commonSettingsOf(env),
      /** Set: the admin port speaks TLS only (HTTP/2 and HTTP/1.1 by ALPN). */
      tls,
      port: env.TESSERA_ADMIN_PORT,
      connections: connectionLimitsOf(env),
      dbPoolSize: env.TESSERA_DB_POOL_SIZE,
      shutdownGraceMs: env.TESSERA_SHUTDOWN_GRACE_MS,
      shutdownDelayMs: env.TESSERA_SHUTDOWN_DELAY_MS,
      feedHeartbeatMs: env.TESSERA_FEED_HEARTBEAT_MS,
      faultPublishDelayMs: env.TESSERA_FAULT_PUBLISH_DELAY_MS,
      usageWriteMs: env.TESSERA_USAGE_WRITE_MS,
      usageSourcesPerToken: env.TESSERA_USAGE_SOURCES_PER_TOKEN,
      rotationQuietPeriodMs: env.TESSERA_ROTATION_QUIET_PERIOD_MS,
      rotationCheckMs: env.TESSERA_ROTATION_CHECK_MS,
      sessionTtlMs: env.TESSERA_SESSION_TTL_MS,
      signIn: {
        perSource: env.TESSERA_SIGN_IN_MAX_FAILURES * 10,
        freePerPrincipal: env.TESSERA_SIGN_IN_MAX_FAILURES,
        delayMs: env.TESSERA_SIGN_IN_DELAY_MS,
        maxDelayMs: env.TESSERA_SIGN_IN_MAX_DELAY_MS,
        windowMs: env.TESSERA_SIGN_IN_WINDOW_MS,
      },
      adminTokenTtlMs: env.TESSERA_ADMIN_TOKEN_TTL_MS,
      adminTokenFile: env.TESSERA_ADMIN_TOKEN_FILE ?? join(env.TESSERA_DATA_DIR, "admin-token"),
      consoleDir: env.TESSERA_CONSOLE_DIR,
      tracing: tracingOptions(env, "token-admin"),
    };
  });

export type AdminConfig = Readonly<z.output<typeof adminEnv>>;

/** token-admin's settings from the environment, validated once. */
export function loadAdminConfig(env: NodeJS.ProcessEnv = process.env): AdminConfig {
  return loadConfig(adminEnv, env);
}
