import { openBus } from "@tessera/shared/bus/open-bus";
import { resolvePepper } from "@tessera/shared/config/pepper";
import { openDatabase } from "@tessera/shared/db/database";
import { Authorization } from "@tessera/shared/gen/envoy/service/auth/v3/external_auth_pb";
import { Health } from "@tessera/shared/gen/grpc/health/v1/health_pb";
import { ServerReflection } from "@tessera/shared/gen/grpc/reflection/v1/reflection_pb";
import { TokenValidatorService } from "@tessera/shared/gen/tessera/v1/validator_pb";
import { createHealthState } from "@tessera/shared/health/health-state";
import type { Logger } from "@tessera/shared/log/logger";
import { createConnectionMetrics } from "@tessera/shared/metrics/connection-metrics";
import { createMetricsRegistry } from "@tessera/shared/metrics/metrics-registry";
import { createReflectionResponder } from "@tessera/shared/reflection/reflection-responder";
import { Closers } from "@tessera/shared/runtime/closers";
import type { SharedResources } from "@tessera/shared/runtime/shared-resources";
import { listenFailure, StartupError } from "@tessera/shared/runtime/startup-error";
import { createDigestKeyer } from "@tessera/shared/token/token-digest";
import { createTokenFormat } from "@tessera/shared/token/token-format";
import { startTracing } from "@tessera/shared/tracing/tracing";
import { startRosterReporter, type RosterReporter } from "./bus/roster-reporter.js";
import { startUsageFlusher } from "./bus/usage-flusher.js";
import { createHoneytokenSender } from "./bus/honeytoken-sender.js";
import type { ValidatorConfig } from "./config.js";
import type { DecisionContext } from "./domain/decide.js";
import { FeedFollower } from "./domain/feed-follower.js";
import { FreshnessTracker } from "./domain/freshness.js";
import { organisationScope } from "./domain/organisation-scope.js";
import { ReplicaPruner } from "./domain/replica-pruner.js";
import { observeAll } from "./domain/surface.js";
import { UsageRecorder } from "./domain/usage-recorder.js";
import { createFeedStore } from "./store/feed-store.js";
import { readCachedSnapshot } from "./store/cached-snapshot-client.js";
import { withCachedSnapshots } from "./store/snapshot-fallback.js";
import { createSnapshotAuth } from "@tessera/shared/snapshot/snapshot-auth";
import { extAuthzCheck, extAuthzServiceDefinition } from "./transport/ext-authz-check.js";
import { forwardAuthAnswerer, forwardAuthOverHttp } from "./transport/forward-auth.js";
import { forwardAuthWire } from "./transport/forward-auth-wire.js";
import { grpcHealthService } from "./transport/grpc-health.js";
import { grpcReflectionService } from "./transport/grpc-reflection.js";
import { startGrpcServer, type GrpcService } from "./transport/grpc-server.js";
import { startHttpServer } from "./transport/http-server.js";
import { introspect } from "./transport/introspect.js";
import { createRouteTable } from "./transport/route-table.js";
import { validateToken } from "./transport/validate-token.js";
import { validateTokenDefinition } from "./transport/validate-token-codec.js";
import { validatorHttpRoutes } from "./transport/validator-http.js";
import { createValidatorMetrics } from "./transport/validator-metrics.js";
import { createDecisionTracing, metadataCarrier } from "./transport/decision-tracing.js";

export interface RunningValidator {
  readonly grpcPort: number;
  /** Forward-auth, /introspect, /metrics, /ready. */
  readonly httpPort: number;
  /** Unix-domain sockets served besides the ports, when configured. */
  readonly grpcSocket: string | undefined;
  readonly httpSocket: string | undefined;
  readonly follower: FeedFollower;
  /** Drops dead tokens past the retention, on a schedule; `sweep()` runs one now (tests, tools). */
  readonly pruner: ReplicaPruner;
  readonly decisions: DecisionContext;
  /**
   * Fastify's order: NOT_SERVING, a pause so balancers notice, drain in-flight
   * calls — still following the feed, still reporting to the roster, so every
   * answer given meanwhile holds — then stop following and release the rest.
   */
  close(): Promise<void>;
}

/** How often readiness is re-evaluated against the staleness bound. */
const readinessCheckMs = 250;

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/**
 * Starts serving at once (health NOT_SERVING), loads the replica (subscribe,
 * snapshot, held events), then reports SERVING while the replica is proven
 * current. A start that fails half-way closes what it opened.
 */
export async function startTokenValidator(config: ValidatorConfig, log: Logger, shared?: SharedResources): Promise<RunningValidator> {
  return Closers.starting((closers) => start(config, log, closers, shared));
}

async function start(config: ValidatorConfig, log: Logger, closers: Closers, shared: SharedResources | undefined): Promise<RunningValidator> {
  const pepper = shared?.pepper ?? resolvePepper(config.pepper, config.dataDir);
  // Closed last (added first): spans of answers given while draining are still sent.
  const tracing = shared ? shared.tracing : config.tracing && closers.add(await startTracing(config.tracing), (t) => t.close());
  // Off: nothing below is wrapped, and the surfaces run exactly as they are.
  const traced = tracing && createDecisionTracing(tracing, config.traceSampleRatio);
  // A read of Postgres that hangs must not hold the follower past the point where it matters.
  const queryTimeoutMs = Math.min(30_000, Math.max(2000, config.maxStalenessMs));
  const database =
    shared?.database ??
    closers.add(
      await openDatabase({ url: config.databaseUrl, dataDir: config.dataDir, poolSize: config.dbPoolSize, applicationName: "tessera-validator", queryTimeoutMs }),
      (db) => db.close(),
    );
  const bus =
    shared?.bus ??
    closers.add(openBus({ redis: config.redis, redisCa: config.redisCa, prefix: config.redisPrefix, pepper, log, feedSilenceMs: Math.max(5000, 2 * config.maxStalenessMs) }), (b) => b.close());

  // A read replica, when configured, carries snapshots and change_log ranges; the head stays on the primary.
  const replicaDb =
    config.snapshot.databaseUrl === undefined
      ? undefined
      : closers.add(
          await openDatabase({ url: config.snapshot.databaseUrl, dataDir: config.dataDir, poolSize: config.dbPoolSize, applicationName: "tessera-validator-replica", queryTimeoutMs }),
          (db) => db.close(),
        ).db;
  // A partial replica: the snapshot reads, and the follower applies, the same organisations only.
  const scope = organisationScope(config.organisations);
  const store = createFeedStore(database.db, () => new Date(), config.deadTokenRetentionMs, { replicaDb, scope });
  // token-admin caches one snapshot of every organisation; a partial replica reads just its own from Postgres (through the index).
  const snapshotUrl = scope.organisations === undefined ? config.snapshot.url : undefined;
  if (config.snapshot.url !== undefined && snapshotUrl === undefined) log.info("TESSERA_SNAPSHOT_URL is not used by a partial replica: its snapshot is read from Postgres, its organisations only");
  // Set: a start or reload loads token-admin's cached snapshot, so a fleet restarting at once reads Postgres once, not once each.
  const snapshotClient = snapshotUrl && { url: snapshotUrl, auth: createSnapshotAuth(pepper), idleTimeoutMs: config.snapshot.idleTimeoutMs, deadTokenRetentionMs: config.deadTokenRetentionMs, now: Date.now };
  const feedSource = snapshotClient ? withCachedSnapshots(store, (into) => readCachedSnapshot(snapshotClient, into), log) : store;

  const freshness = new FreshnessTracker({ maxStalenessMs: config.maxStalenessMs, feedRequired: config.feedRequired, feedExpected: config.redis !== undefined || shared !== undefined });
  // One registry per start, never prom-client's global one; read only when scraped.
  const metricsRegistry = createMetricsRegistry();
  const metrics = createValidatorMetrics(metricsRegistry, {
    replica: () => follower.replica,
    freshness: (nowMs) => freshness.read(nowMs),
    ready: () => health.get("") === "serving",
  });
  let reporter: RosterReporter | undefined;
  const follower = new FeedFollower({
    source: metrics.watchFeedSource(feedSource),
    scope,
    feed: bus.feed,
    freshness,
    log,
    now: Date.now,
    pollIntervalMs: config.pollIntervalMs,
    // Reported at once only when a writer waits for it; the periodic report carries the rest.
    onApplied: (_seq, acknowledge) => {
      if (acknowledge) reporter?.notify();
    },
    onRejected: () => metrics.feedRejected(),
  });
  closers.add(follower, (f) => f.close());
  const decisions: DecisionContext = {
    get replica() {
      return follower.replica;
    },
    digestKey: createDigestKeyer(pepper),
    freshness: (nowMs) => freshness.read(nowMs),
    failOpen: config.failOpen,
    partial: scope.organisations !== undefined,
    tokenFormat: createTokenFormat(config.tokenPrefix),
    reportHoneytoken: (presentation) => honeytokens.report(presentation),
  };
  const honeytokens = createHoneytokenSender(bus.honeytokens, config.validatorId, log);

  const usage = new UsageRecorder(config.usageSourcesPerToken);
  // Every surface reports each decision here; observers touch memory only.
  const observe = traced ? observeAll(usage.observe, metrics.observe, traced.observe) : observeAll(usage.observe, metrics.observe);

  const routes = createRouteTable(config.routes);
  const health = createHealthState([TokenValidatorService.typeName, Authorization.typeName]);
  const reflection = createReflectionResponder([TokenValidatorService, Authorization, Health, ServerReflection]);
  const connections = createConnectionMetrics(metricsRegistry);
  const validate = validateToken(decisions, observe, metrics.meter("grpc"));
  const check = extAuthzCheck(decisions, observe, { tokenHeader: config.tokenHeader, headersToRemove: config.headersToRemove, identityHeaders: config.identityHeaders, routes }, metrics.meter("ext_authz"));
  const grpcServices: GrpcService[] = [
    {
      service: TokenValidatorService,
      definition: validateTokenDefinition(),
      implementation: { validateToken: traced ? traced.unary(`${TokenValidatorService.typeName}/ValidateToken`, "grpc", validate, metadataCarrier) : validate },
    },
    {
      service: Authorization,
      definition: extAuthzServiceDefinition(config.tokenHeader, config.checkLimits, traced !== undefined),
      implementation: { check: traced ? traced.unary(`${Authorization.typeName}/Check`, "ext_authz", check, (call) => call.request) : check },
    },
    { service: Health, implementation: grpcHealthService(health) },
    { service: ServerReflection, implementation: grpcReflectionService(reflection) },
  ];
  const grpc = closers.add(
    await startGrpcServer(grpcServices, {
      host: config.host,
      port: config.grpcPort,
      limits: { ...config.connections, maxConnectionAgeMs: config.maxConnectionAgeMs, maxConnectionAgeGraceMs: config.maxConnectionAgeGraceMs },
      maxMessageBytes: config.grpcMaxMessageBytes,
      onRefused: connections.refused("grpc"),
      tls: config.tls,
      unixSocket: config.grpcSocket === undefined ? undefined : { path: config.grpcSocket, mode: config.socketMode, setting: "TESSERA_VALIDATOR_SOCKET" },
    }).catch((err: unknown) => {
      // A socket's failure is already said for the operator (StartupError); a port's is said here.
      throw err instanceof StartupError ? err : listenFailure(err, { host: config.host, port: config.grpcPort, setting: "TESSERA_VALIDATOR_PORT" });
    }),
    (server) => server.close(0),
  );
  connections.watch("grpc", grpc.openConnections);
  const authAnswerer = forwardAuthAnswerer(decisions, observe, { tokenHeader: config.tokenHeader, identityHeaders: config.identityHeaders, routes }, metrics.meter("forward_auth"));
  const auth = forwardAuthOverHttp(authAnswerer);
  // Plain /auth requests are answered off the socket, unless each needs a span (the tracing wraps node:http's handler).
  const authWire = traced
    ? undefined
    : forwardAuthWire(authAnswerer, { headersTimeoutMs: config.connections.headersTimeoutMs, idleTimeoutMs: config.connections.idleTimeoutMs, log });
  const introspection = introspect(decisions, observe, { introspectionScope: config.introspectionScope }, metrics.meter("introspect"));
  const httpRoutes = validatorHttpRoutes({
    forwardAuth: traced ? traced.forwardAuth(auth) : auth,
    introspect: traced ? traced.introspect(introspection) : introspection,
    metrics: metricsRegistry,
    ready: () => health.get("") === "serving",
    log,
  });
  const http = closers.add(
    await startHttpServer(
      {
        host: config.host,
        port: config.httpPort,
        limits: config.connections,
        onRefused: connections.refused("http"),
        tls: config.tls,
        unixSocket: config.httpSocket === undefined ? undefined : { path: config.httpSocket, mode: config.socketMode, setting: "TESSERA_VALIDATOR_HTTP_SOCKET" },
        frontEnd: authWire,
      },
      httpRoutes,
    ).catch((err: unknown) => {
      throw err instanceof StartupError ? err : listenFailure(err, { host: config.host, port: config.httpPort, setting: "TESSERA_VALIDATOR_HTTP_PORT" });
    }),
    (server) => server.close(0),
  );
  connections.watch("http", http.openConnections);
  log.info({ port: grpc.port, httpPort: http.port, socket: grpc.socketPath, httpSocket: http.socketPath, tls: config.tls !== undefined, clientCertificates: config.tls?.clientCa !== undefined, validatorId: config.validatorId, organisations: scope.organisations, tracing: traced ? { sampleRatio: config.traceSampleRatio } : undefined }, "token-validator listening");

  const startedMs = Date.now();
  await follower.start();
  reporter = startRosterReporter(bus.roster, config.heartbeatMs, () => {
    const reading = freshness.read(Date.now());
    return { validatorId: config.validatorId, appliedSeq: follower.replica.appliedSeq, freshness: reading.state, stalenessMs: reading.stalenessMs, maxStalenessMs: config.maxStalenessMs };
  });
  closers.add(reporter, (r) => r.stop());
  reporter.notify();
  // Started after the first load: before it there is nothing to sweep.
  const pruner = closers.add(
    new ReplicaPruner({ replica: () => follower.replica, retentionMs: config.deadTokenRetentionMs, intervalMs: config.replicaSweepMs, now: Date.now, log }),
    (p) => p.stop(),
  );
  pruner.start();
  const usageFlusher = startUsageFlusher(bus.usage, usage, config.validatorId, config.usageFlushMs, log);
  const replica = follower.replica;
  log.info({ seq: String(replica.appliedSeq), tokens: replica.tokenCount, loadMs: Date.now() - startedMs }, "replica loaded");

  let closing = false;
  const updateReadiness = () => {
    if (closing) return;
    health.setAll(freshness.read(Date.now()).state === "stale" ? "not_serving" : "serving");
  };
  updateReadiness();
  const readiness = setInterval(updateReadiness, readinessCheckMs);
  readiness.unref();

  return {
    grpcPort: grpc.port,
    httpPort: http.port,
    grpcSocket: grpc.socketPath,
    httpSocket: http.socketPath,
    follower,
    pruner,
    decisions,
    async close() {
      closing = true;
      clearInterval(readiness);
      health.setAll("not_serving");
      log.info({ delayMs: config.shutdownDelayMs }, "not serving; draining after the shutdown delay");
      await sleep(config.shutdownDelayMs);
      await Promise.all([grpc.close(config.shutdownGraceMs), http.close(config.shutdownGraceMs)]);
      // Only now: until the last answer went out, revocations kept being applied and acknowledged.
      await reporter?.stop();
      follower.close();
      pruner.stop();
      usageFlusher.stop();
      await usageFlusher.flush();
      await honeytokens.flush();
      await closers.closeAll();
      log.info("stopped");
    },
  };
}
