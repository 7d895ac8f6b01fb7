import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ValidationCode } from "@tessera/shared/gen/tessera/v1/validator_pb";
import type { RunningAdmin } from "@tessera/token-admin/start-token-admin";
import { changeLogExtent } from "@tessera/token-admin/store/change-log-store";
import { adminClient, eventually, type AdminClient } from "../support/clients.js";
import { clusterEnv, spawnValidator, type SpawnedValidator } from "../support/feed-cluster.js";
import { deploymentEnv, startAdmin } from "../support/in-process.js";
import { createPostgresDatabase, type TestDatabase } from "../support/test-database.js";
import { uniqueRedisPrefix } from "../support/test-redis.js";

// change_log pruned while validators are behind (issue 18). The admin keeps no
// retention of its own here (0 ms, the newest row only), so the followers alone
// decide what stays; rounds run when the test asks.
describe("pruning change_log never loses a change a live validator has not applied", () => {
  let database: TestDatabase;
  let admin: RunningAdmin;
  let client: AdminClient;
  /** Follows the feed over Redis and reports to the roster: a live validator. */
  let listed: SpawnedValidator;
  /** No Redis: polls change_log only, reports to no roster, so nothing waits for it. */
  let poller: SpawnedValidator;
  const paused = new Set<SpawnedValidator>();

  beforeAll(async () => {
    database = await createPostgresDatabase();
    const prefix = uniqueRedisPrefix();
    const retention = { TESSERA_CHANGE_LOG_RETENTION_MS: "0", TESSERA_CHANGE_LOG_MIN_ROWS: "1", TESSERA_CHANGE_LOG_PRUNE_MS: "3600000", TESSERA_CHANGE_FOLLOWER_EXPIRY_MS: "1000" };
    admin = await startAdmin({ ...deploymentEnv(database, prefix), ...retention });
    client = adminClient(admin.port, admin.bootstrapped!.adminToken);
    const env = clusterEnv(database, prefix);
    const { REDIS_URL: _redis, ...withoutRedis } = env;
    [listed, poller] = await Promise.all([
      // Reports every 200 ms; listed for 600 ms plus its 10 s bound after its last report.
      spawnValidator({ ...env, TESSERA_VALIDATOR_ID: "listed", TESSERA_HEARTBEAT_MS: "200", TESSERA_MAX_STALENESS_MS: "10000" }),
      spawnValidator({ ...withoutRedis, TESSERA_VALIDATOR_ID: "poller", TESSERA_POLL_INTERVAL_MS: "200" }),
    ]);
  });

  afterAll(async () => {
    for (const v of paused) v.service.child.kill("SIGCONT");
    await Promise.all([listed?.close(), poller?.close()]);
    await admin?.close();
    await database?.drop();
  });

  const accepted = async (name: string) => {
    const created = await client.createToken({ name, scopes: ["orders:read"] });
    await eventually(async () => (await Promise.all([listed, poller].map((v) => v.client.validate(created.tokenValue)))).every((a) => a.valid), 10_000);
    return created;
  };
  const pause = (v: SpawnedValidator) => (paused.add(v), v.service.child.kill("SIGSTOP"));
  const resume = (v: SpawnedValidator) => (paused.delete(v), v.service.child.kill("SIGCONT"));

  it("keeps every row a paused, still listed validator has not applied; woken, it catches up from change_log, no reload", async () => {
    const revoked = await accepted("revoked while listed is paused");
    const { appliedSeq } = (await admin.deps.roster.list()).find((e) => e.validatorId === "listed")!;
    pause(listed);
    try {
      await client.revokeToken({ tokenId: revoked.token!.id });
      const created = await client.createToken({ name: "made while listed is paused", scopes: ["orders:read"] });
      const round = await admin.changeLog.pruner.prune();
      expect(round).toMatchObject({ heldBy: "validator listed", skipped: false });
      expect(round.horizon).toBeLessThanOrEqual(appliedSeq);
      expect(round.horizon).toBeLessThan(round.head);
      // Every change it has not applied is still there.
      expect((await changeLogExtent(admin.deps.db)).oldestSeq).toBeLessThanOrEqual(appliedSeq + 1n);
      resume(listed);
      await eventually(async () => (await listed.client.validate(revoked.tokenValue)).code === ValidationCode.REVOKED, 10_000);
      await eventually(async () => (await listed.client.validate(created.tokenValue)).valid, 10_000);
      expect(listed.service.lines.some((line) => line.includes("reloading snapshot"))).toBe(false);
    } finally {
      resume(listed);
    }
  });

  it("a validator behind the horizon (nobody waits for it) finds the gap, reloads from a snapshot and converges", async () => {
    const revoked = await accepted("revoked while the poller is paused");
    pause(poller);
    try {
      await client.revokeToken({ tokenId: revoked.token!.id });
      const created = await client.createToken({ name: "made while the poller is paused", scopes: ["orders:read"] });
      await client.createToken({ name: "the newest row", scopes: ["orders:read"] });
      // The listed validator is current, and the poller is known to nobody: all but the newest row go.
      await eventually(async () => (await admin.changeLog.pruner.prune()).heldBy === "head", 10_000, 100);
      expect((await changeLogExtent(admin.deps.db)).rows).toBe(1);
      resume(poller);
      await poller.service.waitForLog((line) => line.msg === "change_log pruned past our position; reloading snapshot", 10_000);
      await eventually(async () => (await poller.client.validate(revoked.tokenValue)).code === ValidationCode.REVOKED, 10_000);
      await eventually(async () => (await poller.client.validate(created.tokenValue)).valid, 10_000);
    } finally {
      resume(poller);
    }
  });
});
