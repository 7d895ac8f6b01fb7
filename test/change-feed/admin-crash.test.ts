import { fromBinary } from "@bufbuild/protobuf";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createMessageSeal } from "@tessera/shared/feed/message-seal";
import { FeedMessageSchema } from "@tessera/shared/gen/tessera/feed/v1/feed_pb";
import { ValidationCode } from "@tessera/shared/gen/tessera/v1/validator_pb";
import { adminClient, eventually } from "../support/clients.js";
import { clusterEnv, spawnAdmin, spawnValidator, type SpawnedAdmin, type SpawnedValidator } from "../support/feed-cluster.js";
import { startTcpProxy, type TcpProxy } from "../support/tcp-proxy.js";
import { createPostgresDatabase, type TestDatabase } from "../support/test-database.js";
import { connectRedis, redisUrl, uniqueRedisPrefix } from "../support/test-redis.js";
import { testPepper } from "../support/admin-deps.js";

const pollIntervalMs = 300;
const marginMs = 500;

// Fault test 7. The admin reaches Redis through a proxy; blackholed, its publish
// hangs after the commit, and the admin is killed before it can ever finish.
describe("token-admin killed between commit and publish", () => {
  let database: TestDatabase;
  let prefix: string;
  let env: Record<string, string>;
  let proxy: TcpProxy;
  let admins: SpawnedAdmin[] = [];
  let validators: SpawnedValidator[] = [];

  beforeAll(async () => {
    database = await createPostgresDatabase();
    prefix = uniqueRedisPrefix();
    proxy = await startTcpProxy(new URL(redisUrl).host);
    env = clusterEnv(database, prefix);
    admins.push(await spawnAdmin({ ...env, REDIS_URL: proxy.urlFor(redisUrl) }, true));
    validators = await Promise.all(["one", "two"].map((id) => spawnValidator({ ...env, TESSERA_VALIDATOR_ID: id, TESSERA_POLL_INTERVAL_MS: String(pollIntervalMs) })));
  });

  afterAll(async () => {
    await Promise.all(validators.map((v) => v.close()));
    await Promise.all(admins.map((a) => a.service.kill()));
    await proxy?.close();
    await database?.drop();
  });

  it("the committed revocation still reaches every validator within poll_interval, by its poll (counted over trials)", async () => {
    const adminToken = admins[0]!.token!;
    // Everything published on the feed from now on, as Redis delivers it.
    const listener = connectRedis();
    const published = new Set<bigint>();
    const seal = createMessageSeal(testPepper, "feed");
    listener.on("messageBuffer", (_channel: Buffer, message: Buffer) => {
      const payload = seal.open(message);
      const feed = payload && fromBinary(FeedMessageSchema, payload).message;
      if (feed?.case === "change") published.add(feed.value.seq);
    });
    await listener.subscribe(`${prefix}:changes`);
    const late: string[] = [];
    try {
      for (let trial = 0; trial < 3; trial++) {
        const admin = trial === 0 ? admins[0]! : await spawnAdmin({ ...env, REDIS_URL: proxy.urlFor(redisUrl) });
        if (trial > 0) admins.push(admin);
        const client = adminClient(admin.port, adminToken);
        const created = await client.createToken({ name: `outlives its admin ${trial}`, scopes: ["orders:read"] });
        await eventually(async () => (await Promise.all(validators.map((v) => v.client.validate(created.tokenValue)))).every((a) => a.valid), 5000);
        proxy.blackhole();
        const revoked = await client.revokeToken({ tokenId: created.token!.id });
        const returnedAtMs = Date.now();
        await admin.service.kill(); // SIGKILL: its publish is still waiting on the silent link
        for (const v of validators) {
          await eventually(async () => (await v.client.validate(created.tokenValue)).code === ValidationCode.REVOKED, 5000, 5);
          const denyMs = Date.now() - returnedAtMs;
          if (denyMs > pollIntervalMs + marginMs) late.push(`trial ${trial}: ${denyMs} ms`);
          // The answer says which feed position it was decided at: the revocation's, or later.
          expect((await v.client.validate(created.tokenValue)).seq).toBeGreaterThanOrEqual(revoked.seq);
        }
        expect(published.has(revoked.seq)).toBe(false);
        proxy.restore();
      }
      expect(late, `denials later than poll_interval + ${marginMs} ms`).toEqual([]);
    } finally {
      listener.disconnect();
    }
  });
});
