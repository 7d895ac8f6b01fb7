import { openBus } from "@tessera/shared/bus/open-bus";
import { resolvePepper } from "@tessera/shared/config/pepper";
import { openDatabase } from "@tessera/shared/db/database";
import { createLogger } from "@tessera/shared/log/logger";
import { closeOnSignals } from "@tessera/shared/runtime/shutdown";
import { traceQueries } from "@tessera/shared/tracing/query-spans";
import { startTracing } from "@tessera/shared/tracing/tracing";
import { formatBootstrapBanner } from "@tessera/token-admin/bootstrap-banner";
import { loadAdminConfig } from "@tessera/token-admin/config";
import { startTokenAdmin } from "@tessera/token-admin/start-token-admin";
import { loadValidatorConfig } from "@tessera/token-validator/config";
import { startTokenValidator } from "@tessera/token-validator/start-token-validator";

// `npm start`: token-admin and token-validator in one process, sharing one
// database (PGlite in TESSERA_DATA_DIR unless DATABASE_URL is set) and one bus
// (in-process unless REDIS_URL is set). Nothing to install.
const adminConfig = loadAdminConfig();
const validatorConfig = loadValidatorConfig();
const log = createLogger(adminConfig.logLevel, "tessera");

// One exporter for both services; its spans name the process "tessera" unless OTEL_SERVICE_NAME says otherwise.
const tracing = adminConfig.tracing && (await startTracing({ ...adminConfig.tracing, serviceName: process.env.OTEL_SERVICE_NAME ?? "tessera" }));
const database = await openDatabase({ url: adminConfig.databaseUrl, dataDir: adminConfig.dataDir, applicationName: "tessera-embedded", onQuery: tracing && traceQueries(tracing) });
const pepper = resolvePepper(adminConfig.pepper, adminConfig.dataDir);
const bus = openBus({ redisUrl: adminConfig.redisUrl, prefix: adminConfig.redisPrefix, pepper, log });
const shared = { database, bus, pepper, tracing };

const admin = await startTokenAdmin(adminConfig, createLogger(adminConfig.logLevel, "token-admin"), shared);
const validator = await startTokenValidator(validatorConfig, createLogger(validatorConfig.logLevel, "token-validator"), shared);

if (admin.bootstrapped) {
  process.stdout.write(formatBootstrapBanner({ adminToken: admin.bootstrapped.adminToken, adminPort: admin.port, validatorPort: validator.grpcPort, validatorHttpPort: validator.httpPort }));
} else {
  log.info("store already initialised: use the admin token printed on its first start");
}
log.info({ console: `http://127.0.0.1:${admin.port}/`, adminPort: admin.port, validatorPort: validator.grpcPort, validatorHttpPort: validator.httpPort, dataDir: adminConfig.databaseUrl ? undefined : adminConfig.dataDir }, "tessera embedded: ready");

closeOnSignals(log, async () => {
  await validator.close();
  await admin.close();
  await Promise.allSettled([bus.close(), database.close()]);
  await tracing?.close();
});
