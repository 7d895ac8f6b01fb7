import { readFileSync } from "node:fs";
import { hostname } from "node:os";
import { z } from "zod";
import { commonEnv, commonSettingsOf, connectionEnv, connectionLimitsOf, flag, loadConfig, millis, port, postgresUrl, tracingOptions } from "@tessera/shared/config/load-config";
import { pemFile, serverTlsEnv, withServerTls } from "@tessera/shared/config/tls-config";
import { isWellFormedScope } from "@tessera/shared/token/scope";
import { parseRoutes, type Route } from "./transport/route-table.js";

/** A request header name, stored lower case (Envoy and HTTP/2 use lower case). */
const headerName = (fallback: string) =>
  z.string().regex(/^[A-Za-z0-9-]{1,64}$/, "must be a header name").default(fallback).transform((name) => name.toLowerCase());

/** sun_path holds 108 bytes on Linux and 104 on macOS, with the terminating NUL. */
const maxSocketPathBytes = 100;

/** A Unix-domain socket path: absolute, short enough for sun_path, unset for none. */
const socketPath = () =>
  z
    .string()
    .refine((path) => path.startsWith("/"), "must be an absolute path")
    .refine((path) => Buffer.byteLength(path) <= maxSocketPathBytes, `must be at most ${maxSocketPathBytes} bytes (the limit of a socket address)`)
    .refine((path) => !path.includes("\0"), "must not contain NUL")
    .optional();

/** A file mode in octal, as chmod takes it ("0660", "660"); no set-id or sticky bits. */
const fileMode = (fallback: string) =>
  z
    .string()
    .regex(/^0?[0-7]{3}$/, "must be an octal file mode such as 0660")
    .default(fallback)
    .transform((mode) => parseInt(mode, 8));

/** A uuid as Postgres writes it (any version: ids are the database's), before lower-casing. */
const uuidText = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/**
 * Organisation ids, comma-separated: lower-cased (as the feed spells them) and
 * de-duplicated; unset for every organisation. An entry that is no uuid is
 * named by its position.
 */
const organisationIds = () =>
  z
    .string()
    .optional()
    .transform((value, ctx): readonly string[] | undefined => {
      if (value === undefined) return undefined;
      const entries = value.split(",").map((entry) => entry.trim());
      if (entries.length === 1 && entries[0] === "") {
        ctx.issues.push({ code: "custom", message: "must name at least one organisation id (unset it to serve every organisation)", input: value });
        return z.NEVER;
      }
      const bad = entries.findIndex((entry) => !uuidText.test(entry));
      if (bad >= 0) {
        ctx.issues.push({ code: "custom", message: `must be organisation ids (uuids) separated by commas; entry ${bad + 1} is not one`, input: value });
        return z.NEVER;
      }
      return Object.freeze([...new Set(entries.map((entry) => entry.toLowerCase()))]);
    });

/** A route table as JSON text; the problem is named, the text never echoed. */
const routesJson = (read: (value: string) => string) =>
  z
    .string()
    .optional()
    .transform((value, ctx): readonly Route[] | undefined => {
      if (value === undefined) return undefined;
      try {
        return parseRoutes(read(value));
      } catch (err) {
        ctx.issues.push({ code: "custom", message: (err as Error).message, input: value });
        return z.NEVER;
      }
    });

/** token-validator's environment: every variable it reads (`.in.shape`), checked and turned into its config. */
export const validatorEnv = z
  .object({
    ...commonEnv,
    ...serverTlsEnv,
    // Set: both ports (gRPC and HTTP) ask every client for a certificate this CA signed (mTLS).
    TESSERA_TLS_CLIENT_CA_FILE: pemFile(),
    TESSERA_VALIDATOR_PORT: port(9090),
    TESSERA_VALIDATOR_HTTP_PORT: port(9191),
    // Sidecars: also serve on Unix-domain sockets (gRPC; forward-auth/introspection HTTP), the file given this mode.
    TESSERA_VALIDATOR_SOCKET: socketPath(),
    TESSERA_VALIDATOR_HTTP_SOCKET: socketPath(),
    TESSERA_VALIDATOR_SOCKET_MODE: fileMode("0660"),
    // Per listener (gRPC, HTTP). Envoys pool a few connections per worker, services one per channel.
    ...connectionEnv({ maxConnections: 4000, requestTimeoutMs: 30_000 }),
    // gRPC only: every connection is recycled (GOAWAY) after this long, which also bounds a call whose
    // message never finishes arriving; the grace lets calls in flight finish.
    TESSERA_MAX_CONNECTION_AGE_MS: millis(300_000),
    TESSERA_MAX_CONNECTION_AGE_GRACE_MS: millis(10_000),
    // Largest gRPC request read: Envoy's CheckRequest carries up to 60 KiB of headers by default, plus peers and metadata.
    TESSERA_GRPC_MAX_MESSAGE_BYTES: z.coerce.number().int().min(4096).max(16 * 1024 * 1024).default(128 * 1024),
    // What Check reads of a request's headers; above Envoy's own defaults (100 headers, 60 KiB).
    TESSERA_CHECK_MAX_HEADERS: z.coerce.number().int().min(1).max(10_000).default(200),
    TESSERA_CHECK_MAX_HEADER_BYTES: z.coerce.number().int().min(1024).max(16 * 1024 * 1024).default(96 * 1024),
    // Set: a partial replica, holding only these organisations' tokens; any other value is answered NOT_SERVED.
    TESSERA_VALIDATOR_ORGANISATIONS: organisationIds(),
    TESSERA_VALIDATOR_ID: z.string().regex(/^[A-Za-z0-9._-]{1,100}$/).optional(),
    TESSERA_POLL_INTERVAL_MS: millis(1000),
    TESSERA_MAX_STALENESS_MS: millis(5000),
    TESSERA_FAIL_OPEN: flag(false),
    TESSERA_FEED_REQUIRED: flag(false),
    TESSERA_HEARTBEAT_MS: millis(1000),
    TESSERA_DB_POOL_SIZE: z.coerce.number().int().min(1).max(20).default(2),
    TESSERA_SHUTDOWN_GRACE_MS: millis(5000),
    // Between reporting NOT_SERVING and draining: long enough for balancers to notice.
    TESSERA_SHUTDOWN_DELAY_MS: z.coerce.number().int().min(0).max(120_000).default(2000),
    TESSERA_USAGE_FLUSH_MS: millis(10_000),
    // A revoked or expired token (and a replaced value past its grace) answers REVOKED/EXPIRED this long, then NOT_FOUND.
    TESSERA_DEAD_TOKEN_RETENTION_MS: z.coerce.number().int().min(0).max(365 * 24 * 3600 * 1000).default(24 * 3600 * 1000),
    // Between sweeps of the replica that drop what the retention lets go.
    TESSERA_REPLICA_SWEEP_MS: z.coerce.number().int().min(100).max(24 * 3600 * 1000).default(60_000),
    // Distinct sources (surface, address, route) remembered per token between two flushes.
    TESSERA_USAGE_SOURCES_PER_TOKEN: z.coerce.number().int().min(1).max(100).default(10),
    TESSERA_ROUTES: routesJson((json) => json),
    TESSERA_ROUTES_FILE: routesJson((path) => {
      try {
        return readFileSync(path, "utf8");
      } catch {
        throw new Error("cannot be read");
      }
    }),
    TESSERA_TOKEN_HEADER: headerName("authorization"),
    TESSERA_HEADERS_TO_REMOVE: z
      .string()
      .regex(/^[A-Za-z0-9-]+(,\s*[A-Za-z0-9-]+)*$/, "must be a comma-separated list of header names")
      .transform((list) => list.split(",").map((name) => name.trim().toLowerCase()))
      .optional(),
    TESSERA_TOKEN_ID_HEADER: headerName("x-tessera-token-id"),
    TESSERA_OWNER_HEADER: headerName("x-tessera-owner-id"),
    TESSERA_ORGANISATION_HEADER: headerName("x-tessera-organisation-id"),
    TESSERA_SCOPES_HEADER: headerName("x-tessera-scopes"),
    // With tracing on: the share of decisions traced when the caller sent no trace context (a sampled one always is).
    TESSERA_TRACE_SAMPLE_RATIO: z.coerce.number().min(0).max(1).default(0.01),
    // token-admin's base URL: a starting or reloading validator loads its cached snapshot (GET /v1/snapshot), not Postgres; Postgres if that fails.
    TESSERA_SNAPSHOT_URL: z.string().regex(/^https?:\/\/[^\s]+$/, "must be an http:// or https:// URL").optional(),
    // A cached snapshot whose body stops arriving for this long is given up (and Postgres read instead).
    TESSERA_SNAPSHOT_TIMEOUT_MS: millis(10_000),
    // Optional: a read replica snapshots and change_log ranges are read from; the feed head is always read from DATABASE_URL.
    TESSERA_SNAPSHOT_DATABASE_URL: postgresUrl.optional(),
    TESSERA_INTROSPECTION_SCOPE: z.string().refine(isWellFormedScope, "must be a scope such as tessera:introspect").default("tessera:introspect"),
  })
  .refine((env) => !(env.TESSERA_ROUTES && env.TESSERA_ROUTES_FILE), {
    path: ["TESSERA_ROUTES_FILE"],
    message: "set TESSERA_ROUTES or TESSERA_ROUTES_FILE, not both",
  })
  .refine(
    (env) => {
      const identity = [env.TESSERA_TOKEN_ID_HEADER, env.TESSERA_OWNER_HEADER, env.TESSERA_ORGANISATION_HEADER, env.TESSERA_SCOPES_HEADER];
      return new Set([...identity, env.TESSERA_TOKEN_HEADER]).size === 5 && !identity.some((name) => env.TESSERA_HEADERS_TO_REMOVE?.includes(name));
    },
    {
      path: ["TESSERA_TOKEN_ID_HEADER"],
      message: "the identity headers must differ from each other and from TESSERA_TOKEN_HEADER, and not be in TESSERA_HEADERS_TO_REMOVE",
    },
  )
  .refine((env) => env.TESSERA_VALIDATOR_SOCKET === undefined || env.TESSERA_VALIDATOR_SOCKET !== env.TESSERA_VALIDATOR_HTTP_SOCKET, {
    path: ["TESSERA_VALIDATOR_HTTP_SOCKET"],
    message: "must differ from TESSERA_VALIDATOR_SOCKET (one socket serves gRPC, the other HTTP)",
  })
  .refine((env) => !env.DATABASE_URL || env.TESSERA_PEPPER, {
    path: ["TESSERA_PEPPER"],
    message: "is required with DATABASE_URL (the same value token-admin uses)",
  })
  .refine((env) => env.TESSERA_POLL_INTERVAL_MS < env.TESSERA_MAX_STALENESS_MS, {
    path: ["TESSERA_POLL_INTERVAL_MS"],
    message: "must be below TESSERA_MAX_STALENESS_MS, or a healthy validator would count as stale",
  })
  .transform((env, ctx) => {
    const { tls } = withServerTls(env, ctx);
    return {
      ...commonSettingsOf(env),
      /** Set: both ports speak TLS only; with `clientCa`, every client must present a certificate it signed. */
      tls,
      grpcPort: env.TESSERA_VALIDATOR_PORT,
      httpPort: env.TESSERA_VALIDATOR_HTTP_PORT,
      /** Unix-domain sockets served besides the ports: gRPC and HTTP, each created with `socketMode`. */
      grpcSocket: env.TESSERA_VALIDATOR_SOCKET,
      httpSocket: env.TESSERA_VALIDATOR_HTTP_SOCKET,
      socketMode: env.TESSERA_VALIDATOR_SOCKET_MODE,
      connections: connectionLimitsOf(env),
      maxConnectionAgeMs: env.TESSERA_MAX_CONNECTION_AGE_MS,
      maxConnectionAgeGraceMs: env.TESSERA_MAX_CONNECTION_AGE_GRACE_MS,
      grpcMaxMessageBytes: env.TESSERA_GRPC_MAX_MESSAGE_BYTES,
      checkLimits: { maxHeaders: env.TESSERA_CHECK_MAX_HEADERS, maxHeaderBytes: env.TESSERA_CHECK_MAX_HEADER_BYTES },
      validatorId: env.TESSERA_VALIDATOR_ID ?? `${hostname()}-${process.pid}`,
      /** The organisations held (ids); undefined: every one. */
      organisations: env.TESSERA_VALIDATOR_ORGANISATIONS,
      pollIntervalMs: env.TESSERA_POLL_INTERVAL_MS,
      maxStalenessMs: env.TESSERA_MAX_STALENESS_MS,
      failOpen: env.TESSERA_FAIL_OPEN,
      feedRequired: env.TESSERA_FEED_REQUIRED,
      heartbeatMs: env.TESSERA_HEARTBEAT_MS,
      dbPoolSize: env.TESSERA_DB_POOL_SIZE,
      shutdownGraceMs: env.TESSERA_SHUTDOWN_GRACE_MS,
      shutdownDelayMs: env.TESSERA_SHUTDOWN_DELAY_MS,
      usageFlushMs: env.TESSERA_USAGE_FLUSH_MS,
      deadTokenRetentionMs: env.TESSERA_DEAD_TOKEN_RETENTION_MS,
      replicaSweepMs: env.TESSERA_REPLICA_SWEEP_MS,
      usageSourcesPerToken: env.TESSERA_USAGE_SOURCES_PER_TOKEN,
      routes: env.TESSERA_ROUTES ?? env.TESSERA_ROUTES_FILE ?? [],
      tokenHeader: env.TESSERA_TOKEN_HEADER,
      headersToRemove: env.TESSERA_HEADERS_TO_REMOVE ?? [env.TESSERA_TOKEN_HEADER],
      identityHeaders: {
        tokenId: env.TESSERA_TOKEN_ID_HEADER,
        owner: env.TESSERA_OWNER_HEADER,
        organisation: env.TESSERA_ORGANISATION_HEADER,
        scopes: env.TESSERA_SCOPES_HEADER,
      },
      introspectionScope: env.TESSERA_INTROSPECTION_SCOPE,
      snapshot: { url: env.TESSERA_SNAPSHOT_URL, idleTimeoutMs: env.TESSERA_SNAPSHOT_TIMEOUT_MS, databaseUrl: env.TESSERA_SNAPSHOT_DATABASE_URL },
      tracing: tracingOptions(env, "token-validator"),
      traceSampleRatio: env.TESSERA_TRACE_SAMPLE_RATIO,
    };
  });

export type ValidatorConfig = Readonly<z.output<typeof validatorEnv>>;

/** token-validator's settings from the environment, validated once. */
export function loadValidatorConfig(env: NodeJS.ProcessEnv = process.env): ValidatorConfig {
  return loadConfig(validatorEnv, env);
}
