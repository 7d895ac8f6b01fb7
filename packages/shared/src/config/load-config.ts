import { accessSync, constants } from "node:fs";
import { z } from "zod";
import type { TracingOptions } from "../tracing/tracing.js";
import { StartupError } from "../runtime/startup-error.js";
import { estimateEntropyBits, minPepperBits } from "./pepper-entropy.js";
import { redisEndpointSchema, type RedisEndpoint } from "./redis-endpoint.js";
import { pemFile } from "./tls-config.js";
import { defaultTokenIssuer, tokenIssuerPattern } from "../token/token-format.js";

/**
 * Parses the environment once at start. Names every bad variable at once and
 * never echoes a value (the pepper is one), then freezes the result.
 */
export function loadConfig<T extends z.ZodType>(schema: T, env: NodeJS.ProcessEnv = process.env): Readonly<z.output<T>> {
  const result = schema.safeParse(env);
  if (!result.success) {
    const problems = result.error.issues.map((issue) => `${issue.path.join(".") || "(config)"}: ${issue.message}`);
    throw new StartupError(`invalid configuration: ${problems.join("; ")}`);
  }
  return Object.freeze(result.data);
}

/** A TCP port; 0 asks the OS for a free one (tests). */
export const port = (fallback: number) => z.coerce.number().int().min(0).max(65535).default(fallback);

/** A positive integer of milliseconds. */
export const millis = (fallback: number) => z.coerce.number().int().positive().default(fallback);

/** "true"/"false"/"1"/"0" → boolean; `z.coerce.boolean` would turn "false" into true. */
export const flag = (fallback: boolean) =>
  z.enum(["true", "false", "1", "0"]).default(fallback ? "true" : "false").transform((v) => v === "true" || v === "1");

/** A positive count with a ceiling. */
const count = (fallback: number, max: number) => z.coerce.number().int().min(1).max(max).default(fallback);

/**
 * Bounds on each listener's connections, so idle and slow clients cannot hold
 * sockets for ever. The idle bound outlasts nginx's 60 s upstream keep-alive, so
 * a proxy in front closes its idle connections first and never reuses one the
 * server is closing.
 */
export const connectionEnv = (defaults: { maxConnections: number; requestTimeoutMs: number }) => ({
  TESSERA_MAX_CONNECTIONS: count(defaults.maxConnections, 1_000_000),
  TESSERA_HEADERS_TIMEOUT_MS: millis(10_000),
  TESSERA_REQUEST_TIMEOUT_MS: millis(defaults.requestTimeoutMs),
  TESSERA_IDLE_TIMEOUT_MS: millis(65_000),
});

/** How long and how many connections a client may hold on a listener; every phase of a connection has a bound. */
export interface ConnectionLimits {
  /** Open connections at most; beyond it new ones are closed as they arrive. */
  readonly maxConnections: number;
  /** From accept until the first request's headers are in: bounds the protocol sniff, a partial request and a partial HTTP/2 preface. */
  readonly headersTimeoutMs: number;
  /** From a request's headers until its answer is sent: bounds a slow body and a client that will not read the answer. */
  readonly requestTimeoutMs: number;
  /** With nothing in flight this long, an HTTP/1.1 connection is closed and an HTTP/2 session sent GOAWAY and closed. */
  readonly idleTimeoutMs: number;
}

/** The settings of connectionEnv, as a listener takes them. */
export const connectionLimitsOf = (env: {
  TESSERA_MAX_CONNECTIONS: number;
  TESSERA_HEADERS_TIMEOUT_MS: number;
  TESSERA_REQUEST_TIMEOUT_MS: number;
  TESSERA_IDLE_TIMEOUT_MS: number;
}): ConnectionLimits => ({
  maxConnections: env.TESSERA_MAX_CONNECTIONS,
  headersTimeoutMs: env.TESSERA_HEADERS_TIMEOUT_MS,
  requestTimeoutMs: env.TESSERA_REQUEST_TIMEOUT_MS,
  idleTimeoutMs: env.TESSERA_IDLE_TIMEOUT_MS,
});
const sslModes = new Set(["disable", "prefer", "require", "verify-ca", "verify-full", "no-verify"]);

/**
 * A postgres:// URL whose TLS parameters (libpq's sslmode, sslrootcert, sslcert,
 * sslkey, which node-postgres reads) are usable: a file it names that cannot be
 * read is reported here, once, rather than as a stack trace from deep in pg.
 * Problems name the parameter, never the URL (it may hold a password).
 */
export const postgresUrl = z
  .string()
  .regex(/^postgres(ql)?:\/\//, "must be a postgres:// URL")
  .superRefine((value, ctx) => {
    let params: URLSearchParams;
    try {
      params = new URL(value).searchParams;
    } catch {
      ctx.addIssue({ code: "custom", message: "is not a valid URL" });
      return;
    }
    const mode = params.get("sslmode");
    if (mode !== null && !sslModes.has(mode)) ctx.addIssue({ code: "custom", message: `sslmode must be one of ${[...sslModes].join(", ")}` });
    for (const param of ["sslrootcert", "sslcert", "sslkey"]) {
      const path = params.get(param);
      if (path === null) continue;
      try {
        accessSync(path, constants.R_OK);
      } catch (err) {
        ctx.addIssue({ code: "custom", message: `${param}: cannot read ${path} (${(err as NodeJS.ErrnoException).code ?? "error"})` });
      }
    }
  });

/** Settings every Tessera process shares. */
export const commonEnv = {
  DATABASE_URL: postgresUrl.optional(),
  // redis://[:password@]host:port, or rediss:// for TLS (the server's CA in TESSERA_REDIS_CA_FILE unless the system trusts it);
  // redis+sentinel://host:port,host:port/master-name for a Sentinel group (see redis-endpoint.ts).
  REDIS_URL: redisEndpointSchema.optional(),
  TESSERA_REDIS_CA_FILE: pemFile(),
  TESSERA_DATA_DIR: z.string().min(1).default(".tessera"),
  // Shorter than 32 characters, or repetitive, is too weak to key an HMAC that guards every token.
  TESSERA_PEPPER: z
    .string()
    .min(32, "must be at least 32 characters")
    .refine((pepper) => estimateEntropyBits(pepper) >= minPepperBits, {
      message: `must carry at least ${minPepperBits} bits of entropy (length × Shannon entropy of its characters): use \`openssl rand -base64 32\``,
    })
    .optional(),
  TESSERA_HOST: z.string().min(1).default("127.0.0.1"),
  TESSERA_LOG_LEVEL: z.enum(["fatal", "error", "warn", "info", "debug", "trace", "silent"]).default("info"),
  // Namespaces Redis channels and keys, so that deployments (and test runs) can share a Redis.
  TESSERA_REDIS_PREFIX: z.string().regex(/^[A-Za-z0-9:_-]{1,64}$/).default("tessera"),
  // The issuer prefix of every token (tsr_pat_…): set per deployment so a leaked token names its issuer.
  // Admin and validators must agree; changing it makes every token issued before unreadable.
  TESSERA_TOKEN_PREFIX: z.string().regex(tokenIssuerPattern, "must be a lower-case letter then 1–9 lower-case letters or digits").default(defaultTokenIssuer),
  // OpenTelemetry's own names. Unset endpoint: no tracing, and none of the SDK is loaded.
  OTEL_EXPORTER_OTLP_ENDPOINT: z.url({ protocol: /^https?$/, error: "must be an http(s):// URL" }).optional(),
  OTEL_SERVICE_NAME: z.string().regex(/^[A-Za-z0-9._-]{1,100}$/).optional(),
  OTEL_BSP_SCHEDULE_DELAY: millis(5000),
};

/** The settings of commonEnv every service's config carries, under their config names. */
export function commonSettingsOf(env: {
  DATABASE_URL?: string | undefined;
  REDIS_URL?: RedisEndpoint | undefined;
  TESSERA_REDIS_CA_FILE?: Buffer | undefined;
  TESSERA_DATA_DIR: string;
  TESSERA_PEPPER?: string | undefined;
  TESSERA_HOST: string;
  TESSERA_LOG_LEVEL: "fatal" | "error" | "warn" | "info" | "debug" | "trace" | "silent";
  TESSERA_REDIS_PREFIX: string;
  TESSERA_TOKEN_PREFIX: string;
}) {
  return {
    databaseUrl: env.DATABASE_URL,
    /** Unset: no Redis (the in-process bus when embedded, polling only otherwise). */
    redis: env.REDIS_URL,
    redisCa: env.TESSERA_REDIS_CA_FILE,
    dataDir: env.TESSERA_DATA_DIR,
    pepper: env.TESSERA_PEPPER,
    host: env.TESSERA_HOST,
    logLevel: env.TESSERA_LOG_LEVEL,
    redisPrefix: env.TESSERA_REDIS_PREFIX,
    tokenPrefix: env.TESSERA_TOKEN_PREFIX,
  };
}

/** Tracing settings from the common variables; undefined when no OTLP endpoint is set. */
export function tracingOptions(
  env: { OTEL_EXPORTER_OTLP_ENDPOINT?: string | undefined; OTEL_SERVICE_NAME?: string | undefined; OTEL_BSP_SCHEDULE_DELAY: number },
  serviceName: string,
): TracingOptions | undefined {
  if (!env.OTEL_EXPORTER_OTLP_ENDPOINT) return undefined;
  return { endpoint: env.OTEL_EXPORTER_OTLP_ENDPOINT, serviceName: env.OTEL_SERVICE_NAME ?? serviceName, exportDelayMs: env.OTEL_BSP_SCHEDULE_DELAY };
}
