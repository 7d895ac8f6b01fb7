import { createMemoryBus } from "@tessera/shared/bus/open-bus";
import { createLogger } from "@tessera/shared/log/logger";
import { loadAdminConfig } from "@tessera/token-admin/config";
import { startTokenAdmin, type RunningAdmin } from "@tessera/token-admin/start-token-admin";
import { loadValidatorConfig } from "@tessera/token-validator/config";
import { startTokenValidator, type RunningValidator } from "@tessera/token-validator/start-token-validator";
import { testPepper } from "./admin-deps.js";
import { createPgliteDatabase, type TestDatabase } from "./test-database.js";

/** The embedded mode as `npm start` wires it: one process, PGlite, the in-process bus, both services sharing them. */
export interface EmbeddedDeployment {
  readonly database: TestDatabase;
  readonly admin: RunningAdmin;
  readonly validator: RunningValidator;
  close(): Promise<void>;
}

export async function startEmbeddedInProcess(extraEnv: Record<string, string> = {}): Promise<EmbeddedDeployment> {
  const database = await createPgliteDatabase();
  const bus = createMemoryBus();
  const env = { TESSERA_PEPPER: testPepper, TESSERA_LOG_LEVEL: "silent", TESSERA_SHUTDOWN_DELAY_MS: "0", TESSERA_ADMIN_PORT: "0", TESSERA_VALIDATOR_PORT: "0", TESSERA_VALIDATOR_HTTP_PORT: "0", ...extraEnv };
  const shared = { database: database.handle, bus, pepper: testPepper };
  const adminConfig = loadAdminConfig(env);
  const admin = await startTokenAdmin(adminConfig, createLogger(adminConfig.logLevel, "token-admin"), shared);
  const validatorConfig = loadValidatorConfig(env);
  const validator = await startTokenValidator(validatorConfig, createLogger(validatorConfig.logLevel, "token-validator"), shared);
  return {
    database,
    admin,
    validator,
    async close() {
      await validator.close();
      await admin.close();
      await bus.close();
      await database.drop();
    },
  };
}
