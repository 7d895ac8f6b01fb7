import { createClient } from "@connectrpc/connect";
import { createGrpcTransport } from "@connectrpc/connect-node";
import { Kysely, PostgresDialect } from "kysely";
import pg from "pg";
import { openBus } from "@tessera/shared/bus/open-bus";
import type { Database } from "@tessera/shared/db/schema";
import { TokenAdminService } from "@tessera/shared/gen/tessera/v1/admin_pb";
import { createLogger } from "@tessera/shared/log/logger";
import { loadAdminConfig } from "@tessera/token-admin/config";
import { startTokenAdmin } from "@tessera/token-admin/start-token-admin";
import { quantile } from "./support/stats.js";

export interface CreateFigures {
  readonly perSecond: number;
  readonly p50Ms: number;
  readonly p99Ms: number;
  /** Time inside Postgres queries (as the driver saw it) over time inside calls (as the client saw it). */
  readonly postgresShare: number;
}

/**
 * CreateToken against real Postgres: 16 callers in a loop for `seconds`, over
 * gRPC on loopback, token-admin in this process with its queries timed.
 */
export async function measureCreateToken(env: Record<string, string>, seconds: number): Promise<CreateFigures> {
  const config = loadAdminConfig({ ...env, TESSERA_ADMIN_PORT: "0" });
  const log = createLogger("warn", "token-admin");
  let queryMs = 0;
  const pool = new pg.Pool({ connectionString: config.databaseUrl, max: config.dbPoolSize });
  const db = new Kysely<Database>({
    dialect: new PostgresDialect({ pool }),
    log: (event) => {
      if (event.level === "query") queryMs += event.queryDurationMillis;
    },
  });
  const bus = openBus({ redis: config.redis, prefix: config.redisPrefix, pepper: config.pepper!, log });
  const admin = await startTokenAdmin(config, log, { database: { db, engine: "postgres", close: () => db.destroy() }, bus, pepper: config.pepper! });
  const token = admin.bootstrapped?.adminToken;
  if (!token) throw new Error("expected a fresh database");
  const client = createClient(TokenAdminService, createGrpcTransport({ baseUrl: `http://127.0.0.1:${admin.port}` }));
  const headers = { authorization: `Bearer ${token}` };
  const call = () => client.createToken({ name: "bench", scopes: ["orders:read"] }, { headers });
  for (let i = 0; i < 50; i++) await call(); // warm-up
  queryMs = 0;
  const latencies: number[] = [];
  const deadline = performance.now() + seconds * 1000;
  const started = performance.now();
  await Promise.all(
    Array.from({ length: 16 }, async () => {
      while (performance.now() < deadline) {
        const t = performance.now();
        await call();
        latencies.push(performance.now() - t);
      }
    }),
  );
  const elapsedS = (performance.now() - started) / 1000;
  const callMs = latencies.reduce((a, b) => a + b, 0);
  await admin.close();
  await Promise.allSettled([bus.close(), db.destroy()]);
  return { perSecond: latencies.length / elapsedS, p50Ms: quantile(latencies, 0.5), p99Ms: quantile(latencies, 0.99), postgresShare: queryMs / callMs };
}
