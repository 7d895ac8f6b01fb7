import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { Freshness, ValidationCode } from "@tessera/shared/gen/tessera/v1/validator_pb";
import type { RunningAdmin } from "@tessera/token-admin/start-token-admin";
import type { RunningValidator } from "@tessera/token-validator/start-token-validator";
import { adminClient, eventually, validatorClient, type AdminClient, type ValidatorClient } from "../support/clients.js";
import { deploymentEnv, startAdmin, startValidator } from "../support/in-process.js";
import { startSentinelGroup, type SentinelGroup } from "../support/redis-sentinel-group.js";
import { createPostgresDatabase, type TestDatabase } from "../support/test-database.js";
import { uniqueRedisPrefix } from "../support/test-redis.js";

const pollIntervalMs = 500;
const marginMs = 500;
/** What the feed alone must do: far below the rare poller's minute. */
const feedBoundMs = 1000;

// REDIS_URL naming a Sentinel group of real redis-server and redis-sentinel
// processes the test starts (a master, its replica, three sentinels). The
// master is SIGKILLed; the sentinels promote the replica; token-admin and the
// validators follow them to it. One validator polls Postgres once a minute, so
// whatever it learns quickly after the failover, the feed told it.
describe("Redis Sentinel: the master dies, the feed moves to the new one", () => {
  let database: TestDatabase;
  let group: SentinelGroup;
  let admin: RunningAdmin;
  let client: AdminClient;
  let polling: RunningValidator;
  let rare: RunningValidator;
  let pollingClient: ValidatorClient;
  let rareClient: ValidatorClient;

  beforeAll(async () => {
    group = await startSentinelGroup({ sentinels: 3, downAfterMs: 1000 });
    database = await createPostgresDatabase();
    const env = { ...deploymentEnv(database, uniqueRedisPrefix()), REDIS_URL: group.url };
    admin = await startAdmin(env);
    client = adminClient(admin.port, admin.bootstrapped!.adminToken);
    polling = await startValidator({ ...env, TESSERA_VALIDATOR_ID: "polling", TESSERA_POLL_INTERVAL_MS: String(pollIntervalMs), TESSERA_MAX_STALENESS_MS: "3000" });
    rare = await startValidator({ ...env, TESSERA_VALIDATOR_ID: "rare", TESSERA_POLL_INTERVAL_MS: "60000", TESSERA_MAX_STALENESS_MS: "120000" });
    pollingClient = validatorClient(polling.grpcPort);
    rareClient = validatorClient(rare.grpcPort);
  }, 60_000);

  afterAll(async () => {
    pollingClient?.close();
    rareClient?.close();
    await Promise.all([polling?.close(), rare?.close()]);
    await admin?.close();
    await group?.stop();
    await database?.drop();
  });

  /** Milliseconds from `revoke` returning to `validator` refusing the token (bounded wait). */
  async function denialMs(validator: ValidatorClient, tokenValue: string, tokenId: string): Promise<number> {
    await client.revokeToken({ tokenId });
    return eventually(async () => (await validator.validate(tokenValue)).code === ValidationCode.REVOKED, 15_000, 5);
  }

  it("keeps every revocation within its bound through the failover, and the feed resumes on the promoted replica", { timeout: 120_000 }, async () => {
    const both = [pollingClient, rareClient];
    const make = async (name: string) => {
      const created = await client.createToken({ name, scopes: ["orders:read"] });
      await eventually(async () => (await Promise.all(both.map((v) => v.validate(created.tokenValue)))).every((a) => a.valid), 5000);
      return { value: created.tokenValue, id: created.token!.id };
    };
    const kept = await make("kept");
    const tokens = [];
    for (let i = 0; i < 12; i++) tokens.push(await make(`trial ${i}`));
    const [before, ...rest] = tokens;
    const during = rest.slice(0, 5);
    const after = rest.slice(5);

    // The feed works before: the rare poller learns of a revocation at once.
    expect(await denialMs(rareClient, before!.value, before!.id)).toBeLessThanOrEqual(feedBoundMs);
    expect((await rareClient.validate(kept.value)).freshness).toBe(Freshness.CURRENT);

    await group.kill(group.masterPort);
    // During the failover (no Redis master for a while): every revocation is refused within
    // poll_interval + margin by the validator that polls — counted, over five trials.
    const late: number[] = [];
    for (const token of during) {
      const ms = await denialMs(pollingClient, token.value, token.id);
      if (ms > pollIntervalMs + marginMs) late.push(ms);
    }
    expect(late, `denials later than poll_interval + ${marginMs} ms during the failover`).toEqual([]);

    await eventually(async () => (await group.currentMasterPort()) === group.replicaPort, 30_000, 200);
    // Both services reconnect to the promoted replica: the admin's heartbeats prove the polling validator
    // current again (its bound is 3 s, so only heartbeats received after the failover count).
    await eventually(async () => (await pollingClient.validate(kept.value)).freshness === Freshness.CURRENT, 20_000, 50);
    // The rare poller catches up with what it missed when it resubscribes, a minute before its next poll.
    await eventually(async () => (await Promise.all(during.map((t) => rareClient.validate(t.value)))).every((a) => a.code === ValidationCode.REVOKED), 20_000, 50);

    // After: the feed alone carries each revocation to the rare poller within feedBoundMs — counted.
    const slow: number[] = [];
    for (const token of after) {
      const ms = await denialMs(rareClient, token.value, token.id);
      if (ms > feedBoundMs) slow.push(ms);
    }
    expect(slow, `feed deliveries slower than ${feedBoundMs} ms after the failover`).toEqual([]);
    expect(await rareClient.validate(kept.value)).toMatchObject({ valid: true, freshness: Freshness.CURRENT });
  });
});
