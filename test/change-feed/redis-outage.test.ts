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
    timing = { TESSERA_POLL_INTERVAL_MS: String(pollIntervalMs), TESSERA_MAX_STALENESS_MS: String(maxStalenessMs) };
    [relaxed, strict, rarePoller] = await Promise.all([
      spawnValidator({ ...env, ...timing, TESSERA_VALIDATOR_ID: "relaxed" }),
      spawnValidator({ ...env, ...timing, TESSERA_VALIDATOR_ID: "strict", TESSERA_FEED_REQUIRED: "true" }),
      // Polls once a minute: whatever it learns soon after Redis returns, it learns from the poll on reconnect.
      spawnValidator({ ...env, TESSERA_VALIDATOR_ID: "rare", TESSERA_POLL_INTERVAL_MS: "60000", TESSERA_MAX_STALENESS_MS: "120000" }),
    ]);
  });

  afterAll(async () => {
    await Promise.all([relaxed?.close(), strict?.close(), rarePoller?.close(), latecomer?.close()]);
    await admin?.close();
    await proxy?.close();
    await database?.drop();
  });

  it("by default keeps serving, DEGRADED, and denies revoked tokens within poll_interval; required, fails closed past max_staleness and says why; both catch up when Redis returns", async () => {
    const all = [relaxed, strict, rarePoller];
    const make = async (name: string) => {
      const created = await client.createToken({ name, scopes: ["orders:read"] });
      await eventually(async () => (await Promise.all(all.map((v) => v.client.validate(created.tokenValue)))).every((a) => a.valid), 5000);
      return created;
    };
    const kept = await make("kept");
    const revokedInOutage = await make("revoked in the outage");
    const trials = await Promise.all(Array.from({ length: 10 }, (_, i) => make(`revoked in trial ${i}`)));

    proxy.cut();
    const cutAtMs = Date.now();
    // A validator starting in the outage starts all the same: its polls keep it proven.
    const starting = spawnValidator({ ...env, ...timing, TESSERA_VALIDATOR_ID: "latecomer" });
    await client.revokeToken({ tokenId: revokedInOutage.token!.id });

    // Required: stale once no heartbeat has proven it for max_staleness, though its polls succeed.
    await eventually(async () => (await strict.client.validate(kept.tokenValue)).freshness === Freshness.STALE, 5000);
    // Not stale for the disconnect itself: only once max_staleness has passed since the last heartbeat,
    // which proves the replica as of the admin's read of its head — one heartbeat interval (200 ms) before
    // the cut, give or take a loaded machine's scheduling (the margin; 1,298 ms was seen against 1,300).
    expect(Date.now() - cutAtMs).toBeGreaterThan(maxStalenessMs - 200 - marginMs);
    const refused = await strict.client.validate(kept.tokenValue);
    expect(refused).toMatchObject({ valid: false, code: ValidationCode.STALE, freshnessDetail: "change feed disconnected" });
    expect(refused.stalenessMs).toBeLessThanOrEqual(maxStalenessMs); // its polls still prove it; the feed is what is missing
    await eventually(async () => (await servingStatus(strict.port)) === ServingStatus.NOT_SERVING, 2000);

    // Default: the same outage, DEGRADED (each poll proves it, the feed does not), serving,
    // and refusing every token revoked in the outage within poll_interval: violations counted over ten trials.
    const served = await relaxed.client.validate(kept.tokenValue);
    expect(served).toMatchObject({ valid: true, freshness: Freshness.DEGRADED, freshnessDetail: "change feed disconnected; proven current by polling the database" });
    expect(served.stalenessMs).toBeLessThanOrEqual(maxStalenessMs);
    expect(await servingStatus(relaxed.port)).toBe(ServingStatus.SERVING);
    const late: number[] = [];
    for (const trial of trials) {
      await client.revokeToken({ tokenId: trial.token!.id });
      const denyMs = await eventually(async () => (await relaxed.client.validate(trial.tokenValue)).code === ValidationCode.REVOKED, 5000, 5);
      if (denyMs > pollIntervalMs + marginMs) late.push(denyMs);
    }
    expect(late, `denials later than poll_interval + ${marginMs} ms`).toEqual([]);
    latecomer = await starting;
    await eventually(async () => (await latecomer!.client.validate(trials[0]!.tokenValue)).code === ValidationCode.REVOKED, 2000);
    expect((await latecomer.client.validate(kept.tokenValue)).valid).toBe(true);
    // The rare poller has heard of no revocation: nothing reached it, and its bound is two minutes.
    expect((await rarePoller.client.validate(revokedInOutage.tokenValue)).valid).toBe(true);

    proxy.restore();
    // Required: back to CURRENT and serving once resubscribed and heartbeats arrive, with everything it missed.
    await eventually(async () => (await strict.client.validate(kept.tokenValue)).freshness === Freshness.CURRENT, 10_000);
    expect(await strict.client.validate(kept.tokenValue)).toMatchObject({ valid: true, freshnessDetail: "" });
    expect((await strict.client.validate(trials[9]!.tokenValue)).code).toBe(ValidationCode.REVOKED);
    await eventually(async () => (await servingStatus(strict.port)) === ServingStatus.SERVING, 2000);
    // The latecomer, which never had Redis, subscribes once it can: four subscriptions now.
    await eventually(async () => (await subscriptionCount(prefix)) === 4, 10_000);
    // The rare poller catches up on reconnecting, not at its next poll a minute away.
    await eventually(async () => {
      const answers = await Promise.all([revokedInOutage, ...trials].map((t) => rarePoller.client.validate(t.tokenValue)));
      return answers.every((a) => a.code === ValidationCode.REVOKED);
    }, 10_000);
  });
});
