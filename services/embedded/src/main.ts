import { openBus } from "@tessera/shared/bus/open-bus";
import { resolvePepper } from "@tessera/shared/config/pepper";
import { openDatabase } from "@tessera/shared/db/database";
import { createLogger } from "@tessera/shared/log/logger";
import { closeOnSignals } from "@tessera/shared/runtime/shutdown";
import { startOrExit } from "@tessera/shared/runtime/start-or-exit";
import { traceQueries } from "@tessera/shared/tracing/query-spans";
import { startTracing } from "@tessera/shared/tracing/tracing";
import { handOverAdminToken } from "@tessera/token-admin/admin-token-handover";
import { formatBootstrapBanner } from "@tessera/token-admin/bootstrap-banner";
import { loadAdminConfig } from "@tessera/token-admin/config";
import { startTokenAdmin } from "@tessera/token-admin/start-token-admin";
import { loadValidatorConfig } from "@tessera/token-validator/config";
import { startTokenValidator } from "@tessera/token-validator/start-token-validator";
import { routeGrpcLogs } from "@tessera/token-validator/transport/grpc-logging";

// `npm start`: token-admin and token-validator in one process, sharing one
// database (PGlite in TESSERA_DATA_DIR unless DATABASE_URL is set) and one bus
// (in-process unless REDIS_URL is set). Nothing to install. The data folder and
// everything in it are for this user alone.
process.umask(0o077);
const { adminConfig, log, admin, validator, close } = await startOrExit("tessera", async () => {
  const adminConfig = loadAdminConfig();
  const validatorConfig = loadValidatorConfig();
  const log = createLogger(adminConfig.logLevel, "tessera");
  routeGrpcLogs(log);
  // One exporter for both services; its spans name the process "tessera" unless OTEL_SERVICE_NAME says otherwise.
  const tracing = adminConfig.tracing && (await startTracing({ ...adminConfig.tracing, serviceName: process.env.OTEL_SERVICE_NAME ?? "tessera" }));
  // First: it locks the data folder, so a second `npm start` on it stops here.
  const database = await openDatabase({ url: adminConfig.databaseUrl, dataDir: adminConfig.dataDir, applicationName: "tessera-embedded", onQuery: tracing && traceQueries(tracing) });
  const pepper = resolvePepper(adminConfig.pepper, adminConfig.dataDir);
  const bus = openBus({ redis: adminConfig.redis, redisCa: adminConfig.redisCa, prefix: adminConfig.redisPrefix, pepper, log });
  const shared = { database, bus, pepper, tracing };
  const admin = await startTokenAdmin(adminConfig, createLogger(adminConfig.logLevel, "token-admin"), shared);
  const validator = await startTokenValidator(validatorConfig, createLogger(validatorConfig.logLevel, "token-validator"), shared);
  const close = async () => {
    await validator.close();
    await admin.close();
    await Promise.allSettled([bus.close(), database.close()]);
    await tracing?.close();
  };
  return { adminConfig, log, admin, validator, close };
});

const bootstrapped = admin.bootstrapped;
if (bootstrapped) {
  const token = { adminToken: bootstrapped.adminToken, expiresAt: bootstrapped.adminTokenExpiresAt };
  const banner = () => process.stdout.write(formatBootstrapBanner({ ...token, tls: adminConfig.tls !== undefined, adminPort: admin.port, validatorPort: validator.grpcPort, validatorHttpPort: validator.httpPort }));
  handOverAdminToken(adminConfig, token, banner, log);
} else {
  log.info("store already initialised: use the admin token printed on its first start");
}
log.info({ console: adminConfig.tls ? `https://localhost:${admin.port}/` : `http://127.0.0.1:${admin.port}/`, adminPort: admin.port, validatorPort: validator.grpcPort, validatorHttpPort: validator.httpPort, dataDir: adminConfig.databaseUrl ? undefined : adminConfig.dataDir }, "tessera embedded: ready");

closeOnSignals(log, close);
