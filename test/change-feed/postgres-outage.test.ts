import { Code } from "@connectrpc/connect";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { Freshness, ValidationCode } from "@tessera/shared/gen/tessera/v1/validator_pb";
import type { RunningAdmin } from "@tessera/token-admin/start-token-admin";
import { storeCounts, testPepper } from "../support/admin-deps.js";
import { adminClient, eventually, type AdminClient } from "../support/clients.js";
import { clusterEnv, servingStatus, ServingStatus, spawnValidator, type SpawnedValidator } from "../support/feed-cluster.js";
import { deploymentEnv, startAdmin } from "../support/in-process.js";
import { startTcpProxy, type TcpProxy } from "../support/tcp-proxy.js";
import { codeOf } from "../support/token-slice.js";
import { createPostgresDatabase, type TestDatabase } from "../support/test-database.js";
import { uniqueRedisPrefix } from "../support/test-redis.js";

const maxStalenessMs = 1000;

// Start-up readiness and fault test 6. The validator reaches Postgres through one
// proxy, token-admin through another, so each side's outage can be cut alone;
// `silent`, a second admin straight to Postgres and publishing nowhere, makes
// changes the feed never carries.
describe("Postgres down", () => {
  let database: TestDatabase;
  let validatorLink: TcpProxy;
  let adminLink: TcpProxy;
  let admin: RunningAdmin;
  let silent: RunningAdmin;
  let client: AdminClient;
  let unpublished: AdminClient;
  let validator: SpawnedValidator;
  let prefix: string;

  beforeAll(async () => {
    database = await createPostgresDatabase();
    prefix = uniqueRedisPrefix();
    const postgres = new URL(database.url!).host;
    [validatorLink, adminLink] = await Promise.all([startTcpProxy(postgres), startTcpProxy(postgres)]);
    admin = await startAdmin({ ...deploymentEnv(database, prefix), DATABASE_URL: adminLink.urlFor(database.url!) });
    silent = await startAdmin({ DATABASE_URL: database.url!, TESSERA_PEPPER: testPepper, TESSERA_LOG_LEVEL: "silent" });
    client = adminClient(admin.port, admin.bootstrapped!.adminToken);
    unpublished = adminClient(silent.port, admin.bootstrapped!.adminToken);
  });

  afterAll(async () => {
    await validator?.close();
    await Promise.all([admin?.close(), silent?.close()]);
    await Promise.all([validatorLink?.close(), adminLink?.close()]);
    await database?.drop();
  });

  const accepted = async (name: string) => {
    const created = await client.createToken({ name, scopes: ["orders:read"] });
    await eventually(async () => (await validator.client.validate(created.tokenValue)).valid, 5000);
    return created;
  };

  it("a validator is not ready, and refuses, until its snapshot is applied", async () => {
    const created = await client.createToken({ name: "before start", scopes: ["orders:read"] });
    validatorLink.cut();
    validator = await spawnValidator(
      {
        ...clusterEnv(database, prefix),
        DATABASE_URL: validatorLink.urlFor(database.url!),
        TESSERA_POLL_INTERVAL_MS: "200",
        TESSERA_MAX_STALENESS_MS: String(maxStalenessMs),
      },
      false,
    );
    await validator.service.waitForLog((line) => line.msg === "snapshot failed");
    expect(await servingStatus(validator.port)).toBe(ServingStatus.NOT_SERVING);
    expect(await validator.client.validate(created.tokenValue)).toMatchObject({ valid: false, code: ValidationCode.STALE, freshness: Freshness.STALE, freshnessDetail: "loading snapshot" });
    expect(validator.service.lines.some((line) => line.includes("replica loaded"))).toBe(false);

    validatorLink.restore();
    await validator.service.waitForLog((line) => line.msg === "replica loaded");
    await eventually(async () => (await servingStatus(validator.port)) === ServingStatus.SERVING, 2000);
    expect(await validator.client.validate(created.tokenValue)).toMatchObject({ valid: true, freshness: Freshness.CURRENT });
  });

  it("with Postgres unreachable a validator is proven by the feed's heartbeats alone: DEGRADED, saying so, applying revocations; STALE once the heartbeats stop too", async () => {
    const kept = await accepted("kept");
    const revoked = await accepted("revoked while degraded");
    validatorLink.cut();
    await eventually(async () => (await validator.client.validate(kept.tokenValue)).freshness === Freshness.DEGRADED, 5000);
    // Well past max_staleness, the heartbeats keep proving it: still DEGRADED, never beyond the bound.
    await new Promise((resolve) => setTimeout(resolve, 2 * maxStalenessMs));
    const degraded = await validator.client.validate(kept.tokenValue);
    expect(degraded).toMatchObject({ valid: true, freshness: Freshness.DEGRADED, freshnessDetail: "database unreachable; proven current by the change feed" });
    expect(degraded.stalenessMs).toBeLessThanOrEqual(maxStalenessMs);
    expect(await servingStatus(validator.port)).toBe(ServingStatus.SERVING);
    // The feed still brings revocations, Postgres or not.
    const revocation = await client.revokeToken({ tokenId: revoked.token!.id });
    await eventually(async () => (await validator.client.validate(revoked.tokenValue)).code === ValidationCode.REVOKED, 2000);
    const refused = await validator.client.validate(revoked.tokenValue);
    expect(refused.freshness).toBe(Freshness.DEGRADED);
    expect(refused.seq).toBe(revocation.seq);

    // token-admin loses Postgres too: no head to prove, no heartbeat; the validator fails closed past the bound.
    adminLink.cut();
    await eventually(async () => (await validator.client.validate(kept.tokenValue)).freshness === Freshness.STALE, 5000);
    const stale = await validator.client.validate(kept.tokenValue);
    expect(stale).toMatchObject({ valid: false, code: ValidationCode.STALE, freshnessDetail: "not proven current within max staleness: database unreachable; change feed silent" });
    expect(stale.stalenessMs).toBeGreaterThan(maxStalenessMs);
    await eventually(async () => (await servingStatus(validator.port)) === ServingStatus.NOT_SERVING, 2000);

    adminLink.restore();
    validatorLink.restore();
    await eventually(async () => (await validator.client.validate(kept.tokenValue)).freshness === Freshness.CURRENT, 5000);
    await eventually(async () => (await servingStatus(validator.port)) === ServingStatus.SERVING, 2000);
  });

  it("when a gap in the feed cannot be filled a validator fails closed past max_staleness; it recovers by itself", async () => {
    const lost = await accepted("revoked unpublished");
    validatorLink.cut();
    await unpublished.revokeToken({ tokenId: lost.token!.id });
    const next = await client.createToken({ name: "after the lost one", scopes: [] });
    // The next event arrives and exposes the gap; with Postgres unreachable it stays open.
    await eventually(async () => (await validator.client.validate(lost.tokenValue)).code === ValidationCode.STALE, 5000);
    const refused = await validator.client.validate(lost.tokenValue);
    expect(refused.freshnessDetail).toBe("not proven current within max staleness: database unreachable; behind the change feed's head");
    expect(refused.stalenessMs).toBeGreaterThan(maxStalenessMs);
    expect(await validator.client.validate(next.tokenValue)).toMatchObject({ valid: false, code: ValidationCode.STALE });

    validatorLink.restore();
    await eventually(async () => (await validator.client.validate(lost.tokenValue)).code === ValidationCode.REVOKED, 5000);
    expect(await validator.client.validate(next.tokenValue)).toMatchObject({ valid: true, freshness: Freshness.CURRENT });
  });

  it("token-admin answers UNAVAILABLE, refused or timed out, writes nothing, and recovers by itself", async () => {
    const token = await accepted("revoke attempted in the outage");
    const before = await storeCounts(database.handle.db);
    adminLink.cut(); // Postgres gone: connections reset, new ones refused
    expect(codeOf(await client.createToken({ name: "in the outage", scopes: [] }).catch((e: unknown) => e))).toBe(Code.Unavailable);
    expect(codeOf(await client.revokeToken({ tokenId: token.token!.id }).catch((e: unknown) => e))).toBe(Code.Unavailable);
    adminLink.blackhole(); // Postgres unreachable in silence: the pool's connection timeout must answer
    expect(codeOf(await client.createToken({ name: "in the silence", scopes: [] }).catch((e: unknown) => e))).toBe(Code.Unavailable);
    expect(await storeCounts(database.handle.db)).toEqual(before);

    adminLink.restore();
    await eventually(async () => (await client.createToken({ name: "after", scopes: [] }).then(() => true, () => false)), 5000, 100);
    await client.revokeToken({ tokenId: token.token!.id });
    await eventually(async () => (await validator.client.validate(token.tokenValue)).code === ValidationCode.REVOKED, 5000);
  });
});
