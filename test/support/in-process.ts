import { createLogger } from "@tessera/shared/log/logger";
import { loadAdminConfig } from "@tessera/token-admin/config";
import { startTokenAdmin, type RunningAdmin } from "@tessera/token-admin/start-token-admin";
import { loadValidatorConfig } from "@tessera/token-validator/config";
import { startTokenValidator, type RunningValidator } from "@tessera/token-validator/start-token-validator";
import { testPepper } from "./admin-deps.js";
import type { TestDatabase } from "./test-database.js";
import { redisUrl } from "./test-redis.js";

/** The environment a test deployment shares: its own database and Redis prefix, the test pepper. */
export function deploymentEnv(database: TestDatabase, redisPrefix: string): Record<string, string> {
  return { DATABASE_URL: database.url!, REDIS_URL: redisUrl, TESSERA_PEPPER: testPepper, TESSERA_REDIS_PREFIX: redisPrefix, TESSERA_LOG_LEVEL: "silent", TESSERA_SHUTDOWN_DELAY_MS: "0", TESSERA_FEED_HEARTBEAT_MS: "200" };
}

/** token-admin in this process: the real server on a free port, its own pool and Redis connections. */
export function startAdmin(env: Record<string, string>): Promise<RunningAdmin> {
  const config = loadAdminConfig({ TESSERA_ADMIN_PORT: "0", TESSERA_SHUTDOWN_DELAY_MS: "0", ...env });
  return startTokenAdmin(config, createLogger(config.logLevel, "token-admin"));
}

/** token-validator in this process: the real server on free ports. */
export function startValidator(env: Record<string, string>): Promise<RunningValidator> {
  const config = loadValidatorConfig({ TESSERA_VALIDATOR_PORT: "0", TESSERA_VALIDATOR_HTTP_PORT: "0", TESSERA_SHUTDOWN_DELAY_MS: "0", ...env });
  return startTokenValidator(config, createLogger(config.logLevel, "token-validator"));
}
