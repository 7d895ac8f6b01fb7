import { randomBytes } from "node:crypto";
import { createLogger } from "@tessera/shared/log/logger";
import { loadAdminConfig } from "@tessera/token-admin/config";
import { startTokenAdmin, type RunningAdmin } from "@tessera/token-admin/start-token-admin";
import { createPostgresDatabase, type TestDatabase } from "../../test/support/test-database.js";

/** Settings every benchmark process shares: one database, one Redis prefix, one pepper. */
export interface BenchDeployment {
  readonly database: TestDatabase;
  readonly env: Record<string, string>;
  readonly admin: RunningAdmin;
  close(): Promise<void>;
}

const redisUrl = process.env.TESSERA_BENCH_REDIS_URL ?? "redis://127.0.0.1:6379";

/** A fresh database with token-admin running in this process (used only to set things up). */
export async function startBenchDeployment(): Promise<BenchDeployment> {
  const database = await createPostgresDatabase();
  const env = {
    DATABASE_URL: database.url!,
    REDIS_URL: redisUrl,
    TESSERA_PEPPER: randomBytes(32).toString("base64url"),
    TESSERA_REDIS_PREFIX: `tessera-bench-${randomBytes(4).toString("hex")}`,
    TESSERA_LOG_LEVEL: "warn",
    TESSERA_HOST: "127.0.0.1",
  };
  const config = loadAdminConfig({ ...env, TESSERA_ADMIN_PORT: "0" });
  const admin = await startTokenAdmin(config, createLogger(config.logLevel, "token-admin"));
  return {
    database,
    env,
    admin,
    async close() {
      await admin.close();
      await database.drop();
    },
  };
}
