import { createServer, type AddressInfo, type Server } from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { RunningAdmin } from "@tessera/token-admin/start-token-admin";
import { adminClient, eventually, type AdminClient } from "../support/clients.js";
import { clusterEnv, spawnValidator, type SpawnedValidator } from "../support/feed-cluster.js";
import { deploymentEnv, startAdmin, startValidator } from "../support/in-process.js";
import { startTcpProxy, type TcpProxy } from "../support/tcp-proxy.js";
import { adminQuery, createPostgresDatabase, type TestDatabase } from "../support/test-database.js";
import { connectRedis, redisUrl, uniqueRedisPrefix } from "../support/test-redis.js";

const waitMs = 1000;
/** The commit, the RPC round trip and a busy machine's scheduling, on top of the wait itself. */
const marginMs = 400;

// await_validators is a deadline, whatever Redis does: here the admin's Redis is
// frozen (connections open, nothing answered), so every roster read hangs.
describe("await_validators under a frozen Redis", () => {
  let database: TestDatabase;
  let prefix: string;
  let proxy: TcpProxy;
  let admin: RunningAdmin;
  let client: AdminClient;
  let validator: SpawnedValidator;

  beforeAll(async () => {
    database = await createPostgresDatabase();
    prefix = uniqueRedisPrefix();
    proxy = await startTcpProxy(new URL(redisUrl).host);
    admin = await startAdmin({ ...deploymentEnv(database, prefix), REDIS_URL: proxy.urlFor(redisUrl) });
    client = adminClient(admin.port, admin.bootstrapped!.adminToken);
    validator = await spawnValidator({ ...clusterEnv(database, prefix), TESSERA_VALIDATOR_ID: "only" });
  });

  afterAll(async () => {
    proxy?.thaw();
    await validator?.close();
    await admin?.close();
    await proxy?.close();
    await database?.drop();
  });

  it("returns within its limit every time, saying it is not complete (counted over trials)", async () => {
    const tokens = await Promise.all(Array.from({ length: 8 }, (_, i) => client.createToken({ name: `deadline ${i}`, scopes: [] })));
    const first = await client.revokeToken({ tokenId: tokens[0]!.token!.id, awaitValidators: { seconds: 2n } });
    expect(first.acknowledgement).toMatchObject({ complete: true, appliedValidatorIds: ["only"] });

    proxy.freeze();
    const overruns: string[] = [];
    for (const token of tokens.slice(1)) {
      const startedMs = Date.now();
      const revoked = await client.revokeToken({ tokenId: token.token!.id, awaitValidators: { nanos: waitMs * 1e6 } });
      const tookMs = Date.now() - startedMs;
      expect(revoked.acknowledgement?.complete).toBe(false);
      if (tookMs > waitMs + marginMs || revoked.acknowledgement!.waitedMs > waitMs + 50) overruns.push(`${tookMs} ms (waited ${revoked.acknowledgement!.waitedMs})`);
    }
    expect(overruns, `calls past ${waitMs} + ${marginMs} ms`).toEqual([]);
  });

  // A write waits for its publish only briefly: Redis frozen, a revocation that asks
  // for no acknowledgement still returns at once (the publish's own timeout is 2 s).
  it("returns a write without waiting out a publish Redis never answers (counted over trials)", async () => {
    const tokens = await Promise.all(Array.from({ length: 6 }, (_, i) => client.createToken({ name: `publish ${i}`, scopes: [] })));
    proxy.freeze();
    const overruns: number[] = [];
    for (const token of tokens) {
      const startedMs = Date.now();
      await client.revokeToken({ tokenId: token.token!.id });
      const tookMs = Date.now() - startedMs;
      if (tookMs > marginMs) overruns.push(tookMs);
    }
    expect(overruns, `writes past ${marginMs} ms`).toEqual([]);
  });
});

describe("a start that fails half-way", () => {
  let database: TestDatabase;
  let occupied: Server;

  beforeAll(async () => {
    database = await createPostgresDatabase();
    occupied = createServer();
    await new Promise<void>((resolve) => occupied.listen(0, "127.0.0.1", resolve));
  });

  afterAll(async () => {
    await new Promise((resolve) => occupied?.close(resolve));
    await database?.drop();
  });

  it("closes what it opened: no Redis or Postgres connection is left behind", async () => {
    const prefix = uniqueRedisPrefix();
    const busyPort = String((occupied.address() as AddressInfo).port);
    const env = { ...deploymentEnv(database, prefix), TESSERA_VALIDATOR_HTTP_PORT: busyPort };
    await expect(startValidator(env)).rejects.toThrow(/EADDRINUSE/);

    const redis = connectRedis();
    try {
      await eventually(async () => !((await redis.client("LIST")) as string).includes(` name=${prefix}-`), 5000);
    } finally {
      redis.disconnect();
    }
    const name = new URL(database.url!).pathname.slice(1);
    const open = async () => {
      let count = -1;
      await adminQuery(`select 1`); // the maintenance connection works
      const { default: pg } = await import("pg");
      const client = new pg.Client({ connectionString: database.url });
      await client.connect();
      try {
        count = Number((await client.query(`select count(*) as n from pg_stat_activity where datname = $1 and application_name = 'tessera-validator'`, [name])).rows[0].n);
      } finally {
        await client.end();
      }
      return count;
    };
    await eventually(async () => (await open()) === 0, 5000);
  });
});
