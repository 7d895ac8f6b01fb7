import { randomUUID } from "node:crypto";
import { setMaxListeners } from "node:events";
import { hostname } from "node:os";
import { createContextValues } from "@connectrpc/connect";
import { connectNodeAdapter } from "@connectrpc/connect-node";
import { openBus } from "@tessera/shared/bus/open-bus";
import { resolvePepper } from "@tessera/shared/config/pepper";
import { openDatabase } from "@tessera/shared/db/database";
import { describeDatabaseFailure } from "@tessera/shared/db/database-errors";
import { TokenAdminService } from "@tessera/shared/gen/tessera/v1/admin_pb";
import { createHealthState } from "@tessera/shared/health/health-state";
import type { Logger } from "@tessera/shared/log/logger";
import { createConnectionMetrics } from "@tessera/shared/metrics/connection-metrics";
import { createMetricsRegistry } from "@tessera/shared/metrics/metrics-registry";
import { Closers } from "@tessera/shared/runtime/closers";
import type { SharedResources } from "@tessera/shared/runtime/shared-resources";
import { listenFailure, StartupError } from "@tessera/shared/runtime/startup-error";
import { createDigester } from "@tessera/shared/token/token-digest";
import { createTokenFormat } from "@tessera/shared/token/token-format";
import { traceQueries } from "@tessera/shared/tracing/query-spans";
import { startTracing } from "@tessera/shared/tracing/tracing";
import type { AdminConfig } from "./config.js";
import type { AdminDeps } from "./domain/admin-deps.js";
import type { ChangePublisher } from "./domain/change-publisher.js";
import { startFeedHeartbeat } from "./bus/feed-heartbeat.js";
import { startUsageWriter } from "./bus/usage-writer.js";
import { startHoneytokenAlarmReceiver, type HoneytokenAlarmReceiver } from "./bus/honeytoken-alarm-receiver.js";
import { createReportLimiter } from "./domain/leaks/report-limiter.js";
import { leakReportEndpoint, type LeakReportEndpoint } from "./transport/leak-report-endpoint.js";
import { startRotationFinisher } from "./domain/tokens/finish-rotations.js";
import { watchValidatorAcks } from "./bus/validator-acks.js";
import { createMemoryAttemptLimiter, createRedisAttemptLimiter } from "./bus/attempt-limiter.js";
import { createArgon2Passwords } from "./crypto/argon2-passwords.js";
import { bootstrap, type Bootstrapped } from "./domain/bootstrap.js";
import { ChangeLogFollowers } from "./domain/feed/change-log-followers.js";
import { webhookCursorFloor } from "./store/webhook-store.js";
import { startChangeLogPruner, type ChangeLogPruner } from "./domain/feed/prune-change-log.js";
import { startValidatorPositions, type ValidatorPositions } from "./domain/feed/validator-positions.js";
import { migrateToLatest } from "./store/migrate.js";
import { adminRoutes } from "./transport/admin-routes.js";
import { peerKey, sourceKey } from "./transport/caller-context.js";
import { loadConsoleFiles } from "./transport/console-files.js";
import { listenHttp, peerAddress } from "./transport/listen-http.js";
import { metricsEndpoint } from "./transport/metrics-endpoint.js";
import { metricsInterceptor } from "./transport/metrics-interceptor.js";
import { tracingInterceptor } from "./transport/tracing-interceptor.js";
import { createSecretBox } from "./crypto/webhook-secrets.js";
import { startWebhookDispatcher } from "./domain/webhooks/webhook-dispatcher.js";
import type { WebhookDeps } from "./domain/webhooks/webhook-endpoint.js";
import { createEndpointUrlCheck } from "./webhooks/endpoint-url-check.js";
import { createHttpWebhookSender } from "./webhooks/http-webhook-sender.js";
import { signStandardWebhook } from "./webhooks/standard-webhooks.js";
import { createWebhookMetrics } from "./webhooks/webhook-metrics.js";
import { startEmailOutbox } from "./domain/notices/email-outbox.js";
import { startNoticeScanner } from "./domain/notices/notice-scanner.js";
import { createNodemailerTransport } from "./notices/nodemailer-transport.js";
import { createNoticeMetrics } from "./notices/notice-metrics.js";
import { createSnapshotAuth } from "@tessera/shared/snapshot/snapshot-auth";
import { readDatabaseSnapshot } from "@tessera/shared/snapshot/database-snapshot";
import { createSnapshotCache, type SnapshotCache } from "./domain/feed/snapshot-cache.js";
import { snapshotEndpoint } from "./transport/snapshot-endpoint.js";
import { createSnapshotMetrics } from "./transport/snapshot-metrics.js";

export interface RunningAdmin {
  readonly port: number;
  /** Set on the first start of an empty store: carries the one-time admin token. */
  readonly bootstrapped: Bootstrapped | undefined;
  readonly deps: AdminDeps;
  /** change_log's pruning: the rounds, the followers it waits for (register more here), validators' recorded positions. */
  readonly changeLog: { readonly pruner: ChangeLogPruner; readonly followers: ChangeLogFollowers; readonly positions: ValidatorPositions };
  /** The public leak endpoint: `settled()` waits for accepted reports to be applied. */
  readonly leakReports: LeakReportEndpoint;
  /** Validators' honeytoken alarms: `drain()` records what is queued now. */
  readonly honeytokenAlarms: HoneytokenAlarmReceiver;
  /** The cached snapshot GET /v1/snapshot serves. */
  readonly snapshots: SnapshotCache;
  /** What this start's lease on webhook endpoints is held as. */
  readonly instanceId: string;
  /** NOT_SERVING, a pause so balancers notice, drain in-flight calls, then release what this start opened. */
  close(): Promise<void>;
}

/** Largest request message the admin API reads: generous for DeleteTokens' id lists. */
const readMaxBytes = 1024 * 1024;

/** How often validators' reported positions are written to change_follower (the roster covers the moments between). */
const validatorPositionsWriteMs = 5000;

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/** Test-only fault injection: each publish waits `delayMs` after its commit, so a test can kill the admin in between. */
function delayedPublisher(feed: ChangePublisher, delayMs: number): ChangePublisher {
  if (delayMs === 0) return feed;
  return { publishChange: async (event) => (await sleep(delayMs), feed.publishChange(event)) };
}

/** Opens the store (migrating it), the bus and the server; bootstraps an empty store. A start that fails half-way closes what it opened. */
export async function startTokenAdmin(config: AdminConfig, log: Logger, shared?: SharedResources): Promise<RunningAdmin> {
  return Closers.starting((closers) => start(config, log, closers, shared));
}

async function start(config: AdminConfig, log: Logger, closers: Closers, shared: SharedResources | undefined): Promise<RunningAdmin> {
  const pepper = shared?.pepper ?? resolvePepper(config.pepper, config.dataDir);
  // Closed last (added first): spans of calls answered while draining are still sent.
  const tracing = shared ? shared.tracing : config.tracing && closers.add(await startTracing(config.tracing), (t) => t.close());
  const database =
    shared?.database ??
    closers.add(
      await openDatabase({ url: config.databaseUrl, dataDir: config.dataDir, poolSize: config.dbPoolSize, applicationName: "tessera-admin", onQuery: tracing && traceQueries(tracing) }),
      (db) => db.close(),
    );
  const bus = shared?.bus ?? closers.add(openBus({ redis: config.redis, redisCa: config.redisCa, prefix: config.redisPrefix, pepper, log }), (b) => b.close());
  if (config.databaseUrl && !config.redis) log.warn("REDIS_URL unset: validators will learn of changes only by polling");
  if (config.faultPublishDelayMs > 0) log.warn({ delayMs: config.faultPublishDelayMs }, "TESSERA_FAULT_PUBLISH_DELAY_MS is set: publishes are held back on purpose (tests only)");

  await migrateToLatest(database.db).catch((err: unknown) => {
    throw new StartupError(describeDatabaseFailure(err, database.engine === "pglite" ? "TESSERA_DATA_DIR" : "DATABASE_URL"), { cause: err });
  });
  const acks = closers.add(await watchValidatorAcks(bus.roster), (a) => a.close());
  const signInLimiter = closers.add(
    config.redis ? createRedisAttemptLimiter(config.redis, config.redisPrefix, config.signIn, config.redisCa) : createMemoryAttemptLimiter(config.signIn),
    (limiter) => limiter.close(),
  );
  const deps: AdminDeps = {
    db: database.db,
    feed: delayedPublisher(bus.feed, config.faultPublishDelayMs),
    digest: createDigester(pepper),
    tokenFormat: createTokenFormat(config.tokenPrefix),
    now: () => new Date(),
    log,
    acks,
    roster: bus.roster,
    passwords: createArgon2Passwords(),
    signInLimiter,
    sessionTtlMs: config.sessionTtlMs,
    rotationQuietPeriodMs: config.rotationQuietPeriodMs,
    emailNotices: config.smtp !== undefined,
  };
  const bootstrapped = await bootstrap(deps, config.adminTokenTtlMs);
  const usage = closers.add(startUsageWriter(bus.usage, database.db, config.usageWriteMs, log, config.usageSourcesPerToken), async (writer) => {
    writer.stop();
    await writer.drain();
  });
  const followers = new ChangeLogFollowers();
  // Webhook delivery reads change_log with a cursor per endpoint: pruning waits for the slowest.
  followers.add({ name: "webhooks", passedSeq: () => webhookCursorFloor(database.db) });
  const positions = closers.add(await startValidatorPositions(bus.roster, database.db, validatorPositionsWriteMs, log), (p) => p.stop());
  const pruner = closers.add(
    startChangeLogPruner({ db: database.db, roster: bus.roster, followers, now: () => new Date(), log, retention: config.changeLog }),
    (p) => p.stop(),
  );
  const honeytokenAlarms = closers.add(startHoneytokenAlarmReceiver(bus.honeytokens, deps, config.honeytokenPollMs, log), async (receiver) => {
    receiver.stop();
    await receiver.drain();
  });
  const leakReports = leakReportEndpoint(deps, { githubKeys: config.githubKeys, limiter: closers.add(createReportLimiter(config.leakReports), (l) => l.close()) }, log);
  const rotations = closers.add(startRotationFinisher(deps, config.rotationCheckMs), (job) => job.stop());
  const heartbeat = closers.add(startFeedHeartbeat(database.db, bus.feed, config.feedHeartbeatMs, log), (job) => job.stop());

  const health = createHealthState([TokenAdminService.typeName]);
  const shutdown = new AbortController();
  // Every in-flight call listens on this signal; the default cap of 10 would warn under ordinary load.
  setMaxListeners(0, shutdown.signal);
  // One registry per start, never prom-client's global one: GET /metrics on the same port.
  const metrics = createMetricsRegistry();
  const scrape = metricsEndpoint(metrics);
  const webhookDeps: WebhookDeps = { ...deps, webhookSecrets: createSecretBox(pepper), checkEndpointUrl: createEndpointUrlCheck(config.webhooks.allowPrivate) };
  const instanceId = `${hostname()}:${process.pid}:${randomUUID()}`;
  // Stopped (and its endpoints released) before the store closes.
  const dispatcher = closers.add(
    startWebhookDispatcher(
      {
        db: database.db, secrets: webhookDeps.webhookSecrets, sign: signStandardWebhook, log,
        sender: createHttpWebhookSender({ timeoutMs: config.webhooks.timeoutMs, maxResponseBytes: config.webhooks.maxResponseBytes, allowPrivate: config.webhooks.allowPrivate }),
        onOutcome: createWebhookMetrics(metrics, database.db),
      },
      config.webhooks.dispatcher,
      instanceId,
    ),
    (d) => d.stop(),
  );
  const noticeMetrics = createNoticeMetrics(metrics);
  const scanner = closers.add(startNoticeScanner({ ...deps, onNotice: noticeMetrics.notice }, config.notices), (s) => s.stop());
  const outbox = config.smtp
    ? closers.add(startEmailOutbox({ db: database.db, transport: createNodemailerTransport(config.smtp), log, onSent: noticeMetrics.email }, { pollMs: config.emailPollMs, leaseMs: 3 * config.smtp.timeoutMs + 5000 }), (o) => o.stop())
    : undefined;
  // A read replica, when configured, carries the snapshot builds; the primary otherwise.
  const snapshotDb = config.snapshot.databaseUrl
    ? closers.add(
        await openDatabase({ url: config.snapshot.databaseUrl, dataDir: config.dataDir, poolSize: 2, applicationName: "tessera-admin-snapshot" }),
        (db) => db.close(),
      ).db
    : database.db;
  const snapshotMetrics = createSnapshotMetrics(metrics);
  const snapshots = createSnapshotCache({
    readSnapshot: (sink, cutoffMs) => readDatabaseSnapshot(snapshotDb, { cutoff: new Date(cutoffMs) }, sink),
    cutoffMs: (nowMs) => nowMs - config.snapshot.deadTokenRetentionMs,
    now: Date.now,
    intervalMs: config.snapshot.intervalMs,
    onBuilt: (snapshot, durationMs) => {
      snapshotMetrics.built(snapshot, durationMs);
      log.info({ seq: String(snapshot.headSeq), tokens: snapshot.tokens, bytes: snapshot.bytes, durationMs }, "snapshot cached");
    },
  });
  const snapshotRoute = snapshotEndpoint(snapshots, createSnapshotAuth(pepper), log);
  const consoleFiles = loadConsoleFiles(config.consoleDir);
  if (consoleFiles.count === 0) log.warn({ dir: config.consoleDir }, "web console not built (npm run build): not served");
  const handler = connectNodeAdapter({
    routes: adminRoutes(deps, health, [...(tracing ? [tracingInterceptor(tracing)] : []), metricsInterceptor(metrics)], webhookDeps),
    // The console's files on the same origin as the API (no CORS), then /metrics, then 404.
    fallback: (req, res) => {
      if (!leakReports.serve(req, res) && !snapshotRoute.serve(req, res) && !consoleFiles.serve(req, res)) scrape(req, res);
    },
    readMaxBytes,
    writeMaxBytes: 16 * readMaxBytes,
    // Connect ignores unknown JSON fields by default, so a misspelt field ("scope" for "scopes")
    // was dropped silently; refused instead, with the field named (INVALID_ARGUMENT).
    jsonOptions: { ignoreUnknownFields: false },
    shutdownSignal: shutdown.signal,
    contextValues: (req) => {
      const peer = peerAddress(req);
      const userAgent = String(req.headers["user-agent"] ?? "").slice(0, 100);
      return createContextValues().set(peerKey, peer).set(sourceKey, `${peer} ${userAgent}`.trim());
    },
  });
  const connections = createConnectionMetrics(metrics);
  const listener = closers.add(
    await listenHttp(handler, { host: config.host, port: config.port, limits: config.connections, onRefused: connections.refused("admin"), tls: config.tls }).catch((err: unknown) => {
      throw listenFailure(err, { host: config.host, port: config.port, setting: "TESSERA_ADMIN_PORT" });
    }),
    (l) => l.close(0),
  );
  connections.watch("admin", listener.openConnections);
  health.setAll("serving");
  const scheme = config.tls ? "https" : "http";
  log.info({ port: listener.port, tls: config.tls !== undefined, console: consoleFiles.count > 0 ? `${scheme}://${config.host}:${listener.port}/` : undefined, engine: database.engine, bus: config.redis ? "redis" : "in-process", tracing: tracing !== undefined }, "token-admin listening");

  return {
    port: listener.port,
    bootstrapped,
    deps,
    changeLog: { pruner, followers, positions },
    leakReports,
    honeytokenAlarms,
    snapshots,
    instanceId,
    async close() {
      health.setAll("not_serving");
      log.info({ delayMs: config.shutdownDelayMs }, "not serving; draining after the shutdown delay");
      await sleep(config.shutdownDelayMs);
      shutdown.abort();
      await listener.close(config.shutdownGraceMs);
      // Heartbeats stop only now: until the last call was answered, validators could prove themselves by them.
      heartbeat.stop();
      usage.stop();
      await leakReports.settled();
      await dispatcher.stop();
      await scanner.stop();
      await outbox?.stop();
      rotations.stop();
      await closers.closeAll();
      log.info("stopped");
    },
  };
}
