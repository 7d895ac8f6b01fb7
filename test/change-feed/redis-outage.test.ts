import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { Freshness, ValidationCode } from "@tessera/shared/gen/tessera/v1/validator_pb";
import type { RunningAdmin } from "@tessera/token-admin/start-token-admin";
import { adminClient, eventually, type AdminClient } from "../support/clients.js";
import { clusterEnv, servingStatus, ServingStatus, spawnValidator, subscriptionCount, type SpawnedValidator } from "../support/feed-cluster.js";
import { deploymentEnv, startAdmin } from "../support/in-process.js";
import { startTcpProxy, type TcpProxy } from "../support/tcp-proxy.js";
import { createPostgresDatabase, type TestDatabase } from "../support/test-database.js";
import { redisUrl, uniqueRedisPrefix } from "../support/test-redis.js";

const pollIntervalMs = 300;
const maxStalenessMs = 1500;
const marginMs = 500;

// Fault test 5, under both settings of TESSERA_FEED_REQUIRED. The validators reach
// the shared Redis through a proxy the test cuts; the admin reaches it directly,
// so it keeps publishing into the outage — events the validators never see.
describe("Redis down for the validators", () => {
  let database: TestDatabase;
  let proxy: TcpProxy;
  let admin: RunningAdmin;
  let client: AdminClient;
  let relaxed: SpawnedValidator;
  let strict: SpawnedValidator;
  let rarePoller: SpawnedValidator;
  let latecomer: SpawnedValidator | undefined;
  let prefix: string;
  let env: Record<string, string>;
  let timing: Record<string, string>;

  beforeAll(async () => {
    database = await createPostgresDatabase();
    prefix = uniqueRedisPrefix();
    proxy = await startTcpProxy(new URL(redisUrl).host);
    admin = await startAdmin(deploymentEnv(database, prefix));
    client = adminClient(admin.port, admin.bootstrapped!.adminToken);
    env = { ...clusterEnv(database, prefix), REDIS_URL: proxy.urlFor(redisUrl) };
    timing = { TESSERA_POLL_INTERVAL_MS: String(pollIntervalMs), TESSERA_MAX_STALENESS_MS: String(maxStalenessMs), TESSERA_DEGRADED_MAX_MS: "3000" };
    [relaxed, strict, rarePoller] = await Promise.all([
      spawnValidator({ ...env, ...timing, TESSERA_VALIDATOR_ID: "relaxed" }),
      spawnValidator({ ...env, ...timing, TESSERA_VALIDATOR_ID: "strict", TESSERA_FEED_REQUIRED: "true" }),
      // Polls once a minute: whatever it learns soon after Redis returns, it learns from the poll on reconnect.
      spawnValidator({ ...env, TESSERA_VALIDATOR_ID: "rare", TESSERA_POLL_INTERVAL_MS: "60000", TESSERA_MAX_STALENESS_MS: "120000", TESSERA_DEGRADED_MAX_MS: "120000" }),
    ]);
  });

  afterAll(async () => {
    await Promise.all([relaxed?.close(), strict?.close(), rarePoller?.close(), latecomer?.close()]);
    await admin?.close();
    await proxy?.close();
    await database?.drop();
  });

  it("by default keeps serving CURRENT and denies a revoked token within poll_interval; required, fails closed past max_staleness and says why; both catch up when Redis returns", async () => {
    const all = [relaxed, strict, rarePoller];
    const make = async (name: string) => {
      const created = await client.createToken({ name, scopes: ["orders:read"] });
      await eventually(async () => (await Promise.all(all.map((v) => v.client.validate(created.tokenValue)))).every((a) => a.valid), 5000);
      return created;
    };
    const kept = await make("kept");
    const revokedInOutage = await make("revoked in the outage");
    const revokedLater = await make("revoked later in the outage");

    proxy.cut();
    const cutAtMs = Date.now();
    // A validator starting in the outage starts all the same: its polls keep it current.
    const starting = spawnValidator({ ...env, ...timing, TESSERA_VALIDATOR_ID: "latecomer" });
    await client.revokeToken({ tokenId: revokedInOutage.token!.id });
    const denyMs = await eventually(async () => (await relaxed.client.validate(revokedInOutage.tokenValue)).code === ValidationCode.REVOKED, 5000, 5);
    expect(denyMs).toBeLessThanOrEqual(pollIntervalMs + marginMs);

    // Required: stale once the feed has been down past max_staleness, though its polls succeed.
    await eventually(async () => (await strict.client.validate(kept.tokenValue)).freshness === Freshness.STALE, 5000);
    expect(Date.now() - cutAtMs).toBeGreaterThan(maxStalenessMs);
    const refused = await strict.client.validate(kept.tokenValue);
    expect(refused).toMatchObject({ valid: false, code: ValidationCode.STALE, freshnessDetail: "change feed disconnected" });
    expect(refused.stalenessMs).toBeLessThanOrEqual(maxStalenessMs); // its polls still prove it; the feed is what is missing
    await eventually(async () => (await servingStatus(strict.port)) === ServingStatus.NOT_SERVING, 2000);

    // Default: the same outage, still CURRENT (each poll proves it), serving, and refusing the revoked token.
    const served = await relaxed.client.validate(kept.tokenValue);
    expect(served).toMatchObject({ valid: true, freshness: Freshness.CURRENT, freshnessDetail: "" });
    expect(served.stalenessMs).toBeLessThanOrEqual(maxStalenessMs);
    expect(await servingStatus(relaxed.port)).toBe(ServingStatus.SERVING);
    await client.revokeToken({ tokenId: revokedLater.token!.id });
    expect(await eventually(async () => (await relaxed.client.validate(revokedLater.tokenValue)).code === ValidationCode.REVOKED, 5000, 5)).toBeLessThanOrEqual(pollIntervalMs + marginMs);
    latecomer = await starting;
    await eventually(async () => (await latecomer!.client.validate(revokedLater.tokenValue)).code === ValidationCode.REVOKED, 2000);
    expect((await latecomer.client.validate(kept.tokenValue)).freshness).toBe(Freshness.CURRENT);
    // The rare poller has heard of neither revocation: nothing reached it.
    expect((await rarePoller.client.validate(revokedInOutage.tokenValue)).valid).toBe(true);

    proxy.restore();
    // Required: back to CURRENT and serving once resubscribed, with everything it missed.
    await eventually(async () => (await strict.client.validate(kept.tokenValue)).valid, 10_000);
    expect(await strict.client.validate(kept.tokenValue)).toMatchObject({ freshness: Freshness.CURRENT, freshnessDetail: "" });
    expect((await strict.client.validate(revokedLater.tokenValue)).code).toBe(ValidationCode.REVOKED);
    await eventually(async () => (await servingStatus(strict.port)) === ServingStatus.SERVING, 2000);
    // The latecomer, which never had Redis, subscribes once it can: four subscriptions now.
    await eventually(async () => (await subscriptionCount(prefix)) === 4, 10_000);
    // The rare poller catches up on reconnecting, not at its next poll a minute away.
    await eventually(async () => {
      const answers = await Promise.all([revokedInOutage, revokedLater].map((t) => rarePoller.client.validate(t.tokenValue)));
      return answers.every((a) => a.code === ValidationCode.REVOKED);
    }, 10_000);
  });
});
