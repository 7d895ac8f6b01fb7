import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { z } from "zod";
import { commonEnv, commonSettingsOf, connectionEnv, connectionLimitsOf, flag, loadConfig, millis, port, postgresUrl, tracingOptions } from "@tessera/shared/config/load-config";
import { serverTlsEnv, withServerTls } from "@tessera/shared/config/tls-config";
import { defaultAdminTokenTtlMs } from "./domain/bootstrap.js";
import { maxWaitMs } from "./transport/parse.js";
import { leakEnv, leakSettingsOf } from "./leak-config.js";

const leadUnits = { s: 1, m: 60, h: 3600, d: 86_400 } as const;

/** "60d,30d,7d,0d" → seconds, each 0..400 days, no repeats. */
const leadList = (fallback: string) => z.string().default(fallback).transform((value, ctx) => {
  const leads = value.split(",").map((part) => /^(\d{1,6})([smhd])$/.exec(part.trim()));
  if (leads.some((m) => m === null)) {
    ctx.addIssue({ code: "custom", message: 'must be durations such as "60d,30d,7d,0d"' });
    return z.NEVER;
  }
  const seconds = leads.map((m) => Number(m![1]) * leadUnits[m![2] as keyof typeof leadUnits]);
  if (seconds.some((s) => s > 400 * 86_400) || new Set(seconds).size !== seconds.length) {
    ctx.addIssue({ code: "custom", message: "each lead at most 400 days, none repeated" });
    return z.NEVER;
  }
  return seconds;
});

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
    // change_log keeps rows committed within this long, and the newest TESSERA_CHANGE_LOG_MIN_ROWS, whatever followers have passed.
    TESSERA_CHANGE_LOG_RETENTION_MS: z.coerce.number().int().min(0).max(3650 * 24 * 3600 * 1000).default(7 * 24 * 3600 * 1000),
    TESSERA_CHANGE_LOG_MIN_ROWS: z.coerce.number().int().min(0).max(1_000_000_000).default(10_000),
    TESSERA_CHANGE_LOG_PRUNE_MS: millis(60_000),
    // A validator unheard this long no longer holds change_log back (back, it reloads from a snapshot).
    TESSERA_CHANGE_FOLLOWER_EXPIRY_MS: millis(3600 * 1000),
    // The built web console (`npm run build`); from src/ and dist/ alike this is dist/console.
    ...leakEnv,
    TESSERA_CONSOLE_DIR: z.string().min(1).default(fileURLToPath(new URL("../dist/console/", import.meta.url))),
    // Webhooks: how often an idle replica looks for deliveries to make, and how each attempt is bounded.
    TESSERA_WEBHOOK_POLL_MS: millis(1000),
    TESSERA_WEBHOOK_TIMEOUT_MS: millis(10_000),
    TESSERA_WEBHOOK_MAX_RESPONSE_BYTES: z.coerce.number().int().min(0).max(10 * 1024 * 1024).default(64 * 1024),
    // Failed deliveries are retried (doubling waits from BACKOFF_MS up to BACKOFF_MAX_MS, jittered) for RETRY_FOR_MS, then dead-lettered.
    TESSERA_WEBHOOK_RETRY_FOR_MS: millis(25 * 3600 * 1000),
    TESSERA_WEBHOOK_BACKOFF_MS: millis(5000),
    TESSERA_WEBHOOK_BACKOFF_MAX_MS: millis(3600 * 1000),
    // Endpoints one replica serves at once: a slow endpoint holds one of these, never the others.
    TESSERA_WEBHOOK_CONCURRENCY: z.coerce.number().int().min(1).max(256).default(8),
    // How long a replica keeps an endpoint without renewing its claim (renewed before each attempt).
    TESSERA_WEBHOOK_LEASE_MS: millis(60_000),
    // Endpoints on loopback, link-local and private addresses are refused unless this is set.
    TESSERA_WEBHOOK_ALLOW_PRIVATE: flag(false),
    // Expiry notices: lead times before a token expires ("0d" is on the day, in the organisation's zone).
    TESSERA_EXPIRY_NOTICE_LEADS: leadList("60d,30d,7d,0d"),
    // How often tokens are checked for expiry notices and the inactivity policy.
    TESSERA_NOTICE_SCAN_MS: millis(60_000),
    // Notices by email: unset, notices go to webhooks only. smtp://user:password@host:587 or smtps://host:465.
    TESSERA_SMTP_URL: z.string().regex(/^smtps?:\/\//, "must be an smtp:// or smtps:// URL").optional(),
    TESSERA_SMTP_FROM: z.string().min(3).max(200).default("Tessera <tessera@localhost>"),
    TESSERA_SMTP_TIMEOUT_MS: millis(10_000),
    TESSERA_EMAIL_POLL_MS: millis(5000),
    // The cached snapshot validators load at start (GET /v1/snapshot): rebuilt at most this often, when asked for after it aged.
    TESSERA_SNAPSHOT_INTERVAL_MS: millis(30_000),
    // Optional: a read replica the snapshot is built from (the primary, DATABASE_URL, otherwise).
    TESSERA_SNAPSHOT_DATABASE_URL: postgresUrl.optional(),
    // The cached snapshot leaves out tokens dead longer than this: no longer than the validators' own setting.
    TESSERA_DEAD_TOKEN_RETENTION_MS: z.coerce.number().int().min(0).max(365 * 24 * 3600 * 1000).default(24 * 3600 * 1000),
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
  .refine((env) => env.TESSERA_WEBHOOK_LEASE_MS > 2 * env.TESSERA_WEBHOOK_TIMEOUT_MS, {
    path: ["TESSERA_WEBHOOK_LEASE_MS"],
    message: "must exceed twice TESSERA_WEBHOOK_TIMEOUT_MS (an attempt must end well within a claim)",
  })
  .refine((env) => env.TESSERA_WEBHOOK_BACKOFF_MS <= env.TESSERA_WEBHOOK_BACKOFF_MAX_MS, {
    path: ["TESSERA_WEBHOOK_BACKOFF_MS"],
    message: "must not exceed TESSERA_WEBHOOK_BACKOFF_MAX_MS",
  })
  .transform((env, ctx) => {
    const { tls } = withServerTls(env, ctx);
    return {
      ...commonSettingsOf(env),
      /** Set: the admin port speaks TLS only (HTTP/2 and HTTP/1.1 by ALPN). */
      tls,
      port: env.TESSERA_ADMIN_PORT,
      snapshot: { intervalMs: env.TESSERA_SNAPSHOT_INTERVAL_MS, databaseUrl: env.TESSERA_SNAPSHOT_DATABASE_URL, deadTokenRetentionMs: env.TESSERA_DEAD_TOKEN_RETENTION_MS },
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
      changeLog: {
        retentionMs: env.TESSERA_CHANGE_LOG_RETENTION_MS,
        minRows: env.TESSERA_CHANGE_LOG_MIN_ROWS,
        intervalMs: env.TESSERA_CHANGE_LOG_PRUNE_MS,
        validatorExpiryMs: env.TESSERA_CHANGE_FOLLOWER_EXPIRY_MS,
      },
      ...leakSettingsOf(env),
      tracing: tracingOptions(env, "token-admin"),
      notices: {
        leadsSeconds: env.TESSERA_EXPIRY_NOTICE_LEADS,
        scanMs: env.TESSERA_NOTICE_SCAN_MS,
        email: env.TESSERA_SMTP_URL !== undefined,
      },
      smtp: env.TESSERA_SMTP_URL === undefined ? undefined : { url: env.TESSERA_SMTP_URL, from: env.TESSERA_SMTP_FROM, timeoutMs: env.TESSERA_SMTP_TIMEOUT_MS },
      emailPollMs: env.TESSERA_EMAIL_POLL_MS,
      webhooks: {
        allowPrivate: env.TESSERA_WEBHOOK_ALLOW_PRIVATE,
        timeoutMs: env.TESSERA_WEBHOOK_TIMEOUT_MS,
        maxResponseBytes: env.TESSERA_WEBHOOK_MAX_RESPONSE_BYTES,
        dispatcher: {
          pollMs: env.TESSERA_WEBHOOK_POLL_MS,
          concurrency: env.TESSERA_WEBHOOK_CONCURRENCY,
          leaseMs: env.TESSERA_WEBHOOK_LEASE_MS,
          retryForMs: env.TESSERA_WEBHOOK_RETRY_FOR_MS,
          backoff: { baseMs: env.TESSERA_WEBHOOK_BACKOFF_MS, maxMs: env.TESSERA_WEBHOOK_BACKOFF_MAX_MS },
          batch: 200,
        },
      },
    };
  });

export type AdminConfig = Readonly<z.output<typeof adminEnv>>;

/** token-admin's settings from the environment, validated once. */
export function loadAdminConfig(env: NodeJS.ProcessEnv = process.env): AdminConfig {
  return loadConfig(adminEnv, env);
}
