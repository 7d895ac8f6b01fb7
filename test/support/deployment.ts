import type { RunningAdmin } from "@tessera/token-admin/start-token-admin";
import type { RunningValidator } from "@tessera/token-validator/start-token-validator";
import { adminClient, validatorClient, type AdminClient, type ValidatorClient } from "./clients.js";
import { deploymentEnv, startAdmin, startValidator } from "./in-process.js";
import { createPostgresDatabase, type TestDatabase } from "./test-database.js";
import { uniqueRedisPrefix } from "./test-redis.js";

/** A whole deployment for a test file: its own database and Redis prefix, token-admin and one validator. */
export interface Deployment {
  readonly database: TestDatabase;
  readonly admin: RunningAdmin;
  readonly validator: RunningValidator;
  /** The built-in admin's client. */
  readonly adminApi: AdminClient;
  /** A ValidateToken client of the validator. */
  readonly validation: ValidatorClient;
  /** A client for the admin API as `token`. */
  as(token: string | undefined): AdminClient;
  close(): Promise<void>;
}

/**
 * Starts the deployment with short intervals, so that last-use times and
 * acknowledgements show up within a test's patience.
 */
export async function startDeployment(extraEnv: Record<string, string> = {}): Promise<Deployment> {
  const database = await createPostgresDatabase();
  const env = { ...deploymentEnv(database, uniqueRedisPrefix()), TESSERA_USAGE_FLUSH_MS: "100", TESSERA_USAGE_WRITE_MS: "100", ...extraEnv };
  const admin = await startAdmin(env);
  const validator = await startValidator(env);
  const validation = validatorClient(validator.grpcPort);
  return {
    database,
    admin,
    validator,
    adminApi: adminClient(admin.port, admin.bootstrapped!.adminToken),
    validation,
    as: (token) => adminClient(admin.port, token),
    async close() {
      validation.close();
      await validator.close();
      await admin.close();
      await database.drop();
    },
  };
}
