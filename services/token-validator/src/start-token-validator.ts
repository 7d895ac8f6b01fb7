import { openBus } from "@tessera/shared/bus/open-bus";
import { resolvePepper } from "@tessera/shared/config/pepper";
import { openDatabase } from "@tessera/shared/db/database";
import { Authorization } from "@tessera/shared/gen/envoy/service/auth/v3/external_auth_pb";
import { Health } from "@tessera/shared/gen/grpc/health/v1/health_pb";
import { ServerReflection } from "@tessera/shared/gen/grpc/reflection/v1/reflection_pb";
import { Freshness, TokenValidatorService } from "@tessera/shared/gen/tessera/v1/validator_pb";
import { createHealthState } from "@tessera/shared/health/health-state";
import type { Logger } from "@tessera/shared/log/logger";
import { createMetricsRegistry } from "@tessera/shared/metrics/metrics-registry";
import { createReflectionResponder } from "@tessera/shared/reflection/reflection-responder";
import type { SharedResources } from "@tessera/shared/runtime/shared-resources";
import { createDigestKeyer } from "@tessera/shared/token/token-digest";
import { startHeartbeat } from "./bus/heartbeat.js";
import { startUsageFlusher } from "./bus/usage-flusher.js";
import type { ValidatorConfig } from "./config.js";
import type { DecisionContext } from "./domain/decide.js";
import { FeedFollower } from "./domain/feed-follower.js";
import { FreshnessTracker } from "./domain/freshness.js";
import { observeAll } from "./domain/surface.js";
import { UsageRecorder } from "./domain/usage-recorder.js";
import { createFeedStore } from "./store/feed-store.js";
import { extAuthzCheck, extAuthzServiceDefinition } from "./transport/ext-authz-check.js";
import { forwardAuth } from "./transport/forward-auth.js";
import { grpcHealthService } from "./transport/grpc-health.js";
import { grpcReflectionService } from "./transport/grpc-reflection.js";
import { startGrpcServer } from "./transport/grpc-server.js";
import { startHttpServer } from "./transport/http-server.js";
import { introspect } from "./transport/introspect.js";
import { createRouteTable } from "./transport/route-table.js";
import { validateToken } from "./transport/validate-token.js";
import { validateTokenDefinition } from "./transport/validate-token-codec.js";
import { validatorHttpRoutes } from "./transport/validator-http.js";
import { createValidatorMetrics } from "./transport/validator-metrics.js";

export interface RunningValidator {
  readonly grpcPort: number;
  /** Forward-auth, /introspect, /metrics, /ready. */
  readonly httpPort: number;
  readonly follower: FeedFollower;
  readonly decisions: DecisionContext;
  /** Readiness off, drain in-flight calls, then release what this start opened. */
  close(): Promise<void>;
}

/** How often readiness is re-evaluated against the staleness bound. */
const readinessCheckMs = 250;

/**
 * Starts serving at once (health NOT_SERVING), loads the replica (subscribe,
 * snapshot, held events), then reports SERVING while the replica is current.
 */
export async function startTokenValidator(config: ValidatorConfig, log: Logger, shared?: SharedResources): Promise<RunningValidator> {
  const database = shared?.database ?? (await openDatabase({ url: config.databaseUrl, dataDir: config.dataDir, poolSize: config.dbPoolSize, applicationName: "tessera-validator" }));
  const bus = shared?.bus ?? openBus(config.redisUrl, config.redisPrefix, log);
  const pepper = shared?.pepper ?? resolvePepper(config.pepper, config.dataDir);

  const freshness = new FreshnessTracker({ maxStalenessMs: config.maxStalenessMs, degradedMaxMs: config.degradedMaxMs, feedRequired: config.feedRequired });
  // One registry per start, never prom-client's global one; read only when scraped.
  const metricsRegistry = createMetricsRegistry();
  const metrics = createValidatorMetrics(metricsRegistry, {
    replica: () => follower.replica,
    freshness: (nowMs) => freshness.read(nowMs),
    ready: () => health.get("") === "serving",
  });
  let heartbeat: ReturnType<typeof startHeartbeat> | undefined;
  const follower = new FeedFollower({
    source: metrics.watchFeedSource(createFeedStore(database.db)),
    bus,
    freshness,
    log,
    now: Date.now,
    pollIntervalMs: config.pollIntervalMs,
    onApplied: () => heartbeat?.notify(),
  });
  const decisions: DecisionContext = {
    get replica() {
      return follower.replica;
    },
    digestKey: createDigestKeyer(pepper),
    freshness: (nowMs) => freshness.read(nowMs),
    failOpen: config.failOpen,
  };

  const usage = new UsageRecorder();
  // Every surface reports each decision here; observers touch memory only.
  const observe = observeAll(usage.observe, metrics.observe);

  const routes = createRouteTable(config.routes);
  const health = createHealthState([TokenValidatorService.typeName, Authorization.typeName]);
  const reflection = createReflectionResponder([TokenValidatorService, Authorization, Health, ServerReflection]);
  const grpc = await startGrpcServer(config.host, config.grpcPort, [
    { service: TokenValidatorService, definition: validateTokenDefinition(), implementation: { validateToken: validateToken(decisions, observe, metrics.meter("grpc")) } },
    {
      service: Authorization,
      definition: extAuthzServiceDefinition(config.tokenHeader),
      implementation: {
        check: extAuthzCheck(decisions, observe, { tokenHeader: config.tokenHeader, headersToRemove: config.headersToRemove, identityHeaders: config.identityHeaders, routes }, metrics.meter("ext_authz")),
      },
    },
    { service: Health, implementation: grpcHealthService(health) },
    { service: ServerReflection, implementation: grpcReflectionService(reflection) },
  ]);
  const httpRoutes = validatorHttpRoutes({
    forwardAuth: forwardAuth(decisions, observe, { tokenHeader: config.tokenHeader, identityHeaders: config.identityHeaders, routes }, metrics.meter("forward_auth")),
    introspect: introspect(decisions, observe, { introspectionScope: config.introspectionScope }, metrics.meter("introspect")),
    metrics: metricsRegistry,
    ready: () => health.get("") === "serving",
    log,
  });
  const http = await startHttpServer({ host: config.host, port: config.httpPort }, httpRoutes).catch(async (err: unknown) => {
    await grpc.close(0);
    throw err;
  });
  log.info({ port: grpc.port, httpPort: http.port, validatorId: config.validatorId }, "token-validator listening");

  const startedMs = Date.now();
  await follower.start();
  heartbeat = startHeartbeat(bus, config.validatorId, config.heartbeatMs, () => follower.replica.appliedSeq);
  heartbeat.notify();
  const usageFlusher = startUsageFlusher(bus, usage, config.validatorId, config.usageFlushMs, log);
  const replica = follower.replica;
  log.info({ seq: String(replica.appliedSeq), tokens: replica.tokenCount, loadMs: Date.now() - startedMs }, "replica loaded");

  let closing = false;
  const updateReadiness = () => {
    if (closing) return;
    const reading = freshness.read(Date.now());
    health.setAll(reading.freshness === Freshness.STALE ? "not_serving" : "serving");
  };
  updateReadiness();
  const readiness = setInterval(updateReadiness, readinessCheckMs);
  readiness.unref();

  return {
    grpcPort: grpc.port,
    httpPort: http.port,
    follower,
    decisions,
    async close() {
      closing = true;
      clearInterval(readiness);
      health.setAll("not_serving");
      await heartbeat?.stop();
      follower.close();
      await Promise.all([grpc.close(config.shutdownGraceMs), http.close(config.shutdownGraceMs)]);
      usageFlusher.stop();
      await usageFlusher.flush();
      if (!shared) await Promise.allSettled([bus.close(), database.close()]);
    },
  };
}
