import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ValidationCode } from "@tessera/shared/gen/tessera/v1/validator_pb";
import type { RunningAdmin } from "@tessera/token-admin/start-token-admin";
import type { RunningValidator } from "@tessera/token-validator/start-token-validator";
import { testPepper } from "../support/admin-deps.js";
import { adminClient, eventually, type AdminClient } from "../support/clients.js";
import { clusterEnv, feedHead, feedPublisher, killChangeSubscriptions, spawnValidator, type SpawnedValidator } from "../support/feed-cluster.js";
import { deploymentEnv, startAdmin, startValidator } from "../support/in-process.js";
import { replicaView, snapshotReplica } from "../support/replica-equality.js";
import { createPostgresDatabase, type TestDatabase } from "../support/test-database.js";
import { connectRedis, uniqueRedisPrefix } from "../support/test-redis.js";

const pollIntervalMs = 300;
/** token-admin's feed heartbeat interval in these tests (deploymentEnv). */
const heartbeatMs = 200;
/** The margin the bound "within poll_interval" gets: scheduling on a shared, busy machine. */
const marginMs = 500;

// Fault tests 1–3. Two admins write to one Postgres: `admin` publishes on Redis,
// `silent` publishes nowhere (no REDIS_URL), so each of its changes is one
// "written to change_log but never published". The validators are processes of their own:
// `quick` polls every 300 ms; `slow` polls once a minute, so what it learns fast
// it learns from the feed and its gap fills, not from a poll.
describe("lost, duplicated and reordered change events", () => {
  let database: TestDatabase;
  let prefix: string;
  let admin: RunningAdmin;
  let silent: RunningAdmin;
  let publishing: AdminClient;
  let unpublished: AdminClient;
  let quick: SpawnedValidator;
  let slow: SpawnedValidator;

  beforeAll(async () => {
    database = await createPostgresDatabase();
    prefix = uniqueRedisPrefix();
    admin = await startAdmin(deploymentEnv(database, prefix));
    silent = await startAdmin({ DATABASE_URL: database.url!, TESSERA_PEPPER: testPepper, TESSERA_LOG_LEVEL: "silent" });
    publishing = adminClient(admin.port, admin.bootstrapped!.adminToken);
    unpublished = adminClient(silent.port, admin.bootstrapped!.adminToken);
    const env = clusterEnv(database, prefix);
    [quick, slow] = await Promise.all([
      spawnValidator({ ...env, TESSERA_VALIDATOR_ID: "quick", TESSERA_POLL_INTERVAL_MS: String(pollIntervalMs), TESSERA_MAX_STALENESS_MS: "3000" }),
      spawnValidator({ ...env, TESSERA_VALIDATOR_ID: "slow", TESSERA_POLL_INTERVAL_MS: "60000", TESSERA_MAX_STALENESS_MS: "120000" }),
    ]);
  });

  afterAll(async () => {
    await Promise.all([quick?.close(), slow?.close()]);
    await Promise.all([admin?.close(), silent?.close()]);
    await database?.drop();
  });

  /** A token both validators accept. */
  async function acceptedToken(name: string) {
    const created = await publishing.createToken({ name, scopes: ["orders:read"] });
    await eventually(async () => (await quick.client.validate(created.tokenValue)).valid && (await slow.client.validate(created.tokenValue)).valid, 5000);
    return created;
  }

  it("1: a validator whose Redis connection is killed just before a revocation denies the token within poll_interval (counted over trials)", async () => {
    const late: number[] = [];
    for (let trial = 0; trial < 5; trial++) {
      const created = await acceptedToken(`client-kill ${trial}`);
      expect(await killChangeSubscriptions(prefix)).toBe(2);
      await publishing.revokeToken({ tokenId: created.token!.id });
      const elapsedMs = await eventually(async () => (await quick.client.validate(created.tokenValue)).code === ValidationCode.REVOKED, 5000, 5);
      if (elapsedMs > pollIntervalMs + marginMs) late.push(elapsedMs);
      // The slow poller learns it too, on reconnecting: it asks Postgres then, not a minute later.
      await eventually(async () => (await slow.client.validate(created.tokenValue)).code === ValidationCode.REVOKED, 5000);
    }
    expect(late, `denials later than poll_interval + ${marginMs} ms`).toEqual([]);
  });

  it("2a: a lost event is exposed by the next one, and fetched from change_log", async () => {
    const lost = await acceptedToken("lost-then-next");
    await unpublished.revokeToken({ tokenId: lost.token!.id });
    const next = await publishing.createToken({ name: "the next event", scopes: ["orders:read"] });
    // `slow` can only know the next token by applying its event, and it applies strictly in seq order:
    // so it has fetched the lost revocation by then (its poll is a minute away).
    await eventually(async () => (await slow.client.validate(next.tokenValue)).valid, 5000);
    expect((await slow.client.validate(lost.tokenValue)).code).toBe(ValidationCode.REVOKED);
  });

  it("2b: a lost event with none after it is found within poll_interval by polling, and within a heartbeat by a validator that rarely polls (counted over trials)", async () => {
    const late: string[] = [];
    for (let trial = 0; trial < 10; trial++) {
      const lost = await acceptedToken(`lost-alone ${trial}`);
      await unpublished.revokeToken({ tokenId: lost.token!.id });
      const revokedBy = (v: SpawnedValidator) => eventually(async () => (await v.client.validate(lost.tokenValue)).code === ValidationCode.REVOKED, 5000, 5);
      const [quickMs, slowMs] = await Promise.all([revokedBy(quick), revokedBy(slow)]);
      if (quickMs > pollIntervalMs + marginMs) late.push(`quick ${quickMs} ms`);
      // `slow` polls once a minute: a heartbeat showing the head past what it applied sends it to change_log.
      if (slowMs > heartbeatMs + 100 + marginMs) late.push(`slow ${slowMs} ms`);
    }
    expect(late, "denials past their bound").toEqual([]);
  });

  it("3: duplicated and reordered deliveries leave a replica identical to a fresh snapshot", async () => {
    // A validator in this process (to compare its replica) on a channel only this test publishes on.
    const channelPrefix = uniqueRedisPrefix();
    let validator: RunningValidator | undefined;
    const feed = feedPublisher(channelPrefix);
    try {
      validator = await startValidator({ ...deploymentEnv(database, channelPrefix), TESSERA_POLL_INTERVAL_MS: "60000", TESSERA_MAX_STALENESS_MS: "120000" });
      const from = await feedHead(database.handle.db);
      const tokens = [];
      for (let i = 0; i < 8; i++) tokens.push(await unpublished.createToken({ name: `reordered ${i}`, scopes: ["orders:read"] }));
      for (const token of tokens.slice(0, 4)) await unpublished.revokeToken({ tokenId: token.token!.id });
      const rows = await database.handle.db.selectFrom("change_log").select("event").where("seq", ">", String(from)).orderBy("seq").execute();
      const events = rows.map((row) => Buffer.from(row.event));
      const shuffled = (list: Buffer[]) => list.map((e) => [Math.random(), e] as const).sort(([a], [b]) => a - b).map(([, e]) => e);
      // Each event several times, out of order, and every creation again after its revocation.
      for (const event of [...shuffled(events), ...shuffled(events), ...[...events].reverse()]) await feed.publishChange(event);
      // One last change, delivered last: once it is applied, every delivery before it has been handled.
      await unpublished.createToken({ name: "last", scopes: [] });
      const last = await feedHead(database.handle.db);
      const [lastRow] = await database.handle.db.selectFrom("change_log").select("event").where("seq", "=", String(last)).execute();
      await feed.publishChange(lastRow!.event);
      await eventually(async () => validator!.follower.replica.appliedSeq === last, 5000);
      expect(replicaView(validator.follower.replica)).toEqual(replicaView(await snapshotReplica(database.handle.db)));
    } finally {
      await feed.close();
      await validator?.close();
    }
  });
});
