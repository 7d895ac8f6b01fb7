import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ValidationCode } from "@tessera/shared/gen/tessera/v1/validator_pb";
import type { RunningAdmin } from "@tessera/token-admin/start-token-admin";
import { adminClient, eventually, type AdminClient } from "../support/clients.js";
import { clusterEnv, spawnValidator, type SpawnedValidator } from "../support/feed-cluster.js";
import { deploymentEnv, startAdmin } from "../support/in-process.js";
import { createPostgresDatabase, type TestDatabase } from "../support/test-database.js";
import { uniqueRedisPrefix } from "../support/test-redis.js";

// RevokeToken with await_validators against two validator processes. `steady`
// heartbeats every 10 s, so its key lives 30 s: within this test it is counted
// live unless it says goodbye.
describe("acknowledged revocation", () => {
  let database: TestDatabase;
  let admin: RunningAdmin;
  let client: AdminClient;
  let brisk: SpawnedValidator;
  let steady: SpawnedValidator;

  beforeAll(async () => {
    database = await createPostgresDatabase();
    const prefix = uniqueRedisPrefix();
    admin = await startAdmin(deploymentEnv(database, prefix));
    client = adminClient(admin.port, admin.bootstrapped!.adminToken);
    const env = clusterEnv(database, prefix);
    [brisk, steady] = await Promise.all([
      spawnValidator({ ...env, TESSERA_VALIDATOR_ID: "brisk" }),
      spawnValidator({ ...env, TESSERA_VALIDATOR_ID: "steady", TESSERA_HEARTBEAT_MS: "10000" }),
    ]);
  });

  afterAll(async () => {
    if (steady?.service.child.exitCode === null) steady.service.child.kill("SIGCONT");
    await Promise.all([brisk?.close(), steady?.close()]);
    await admin?.close();
    await database?.drop();
  });

  const accepted = async (name: string) => {
    const created = await client.createToken({ name, scopes: ["orders:read"] });
    await eventually(async () => (await brisk.client.validate(created.tokenValue)).valid && (await steady.client.validate(created.tokenValue)).valid, 5000);
    return created;
  };

  it("returns once every live validator has applied the revocation, and says how many of how many", async () => {
    const token = await accepted("acknowledged");
    const revoked = await client.revokeToken({ tokenId: token.token!.id, awaitValidators: { seconds: 5n } });
    expect(revoked.acknowledgement).toMatchObject({ applied: 2, live: 2, complete: true });
    // Acknowledged means applied: both refuse it now, with no waiting.
    for (const v of [brisk, steady]) expect((await v.client.validate(token.tokenValue)).code).toBe(ValidationCode.REVOKED);
  });

  it("times out honestly when a live validator is not applying (frozen): complete=false, 1 of 2", async () => {
    const token = await accepted("frozen");
    steady.service.child.kill("SIGSTOP");
    try {
      const revoked = await client.revokeToken({ tokenId: token.token!.id, awaitValidators: { seconds: 1n } });
      expect(revoked.acknowledgement).toMatchObject({ applied: 1, live: 2, complete: false });
      expect(revoked.acknowledgement!.waitedMs).toBeGreaterThanOrEqual(1000);
      expect((await brisk.client.validate(token.tokenValue)).code).toBe(ValidationCode.REVOKED);
    } finally {
      steady.service.child.kill("SIGCONT");
    }
    // Woken, it applies what it missed.
    await eventually(async () => (await steady.client.validate(token.tokenValue)).code === ValidationCode.REVOKED, 5000);
  });

  it("does not wait for a validator that shut down gracefully: it removed its heartbeat on the way out", async () => {
    const token = await accepted("after a goodbye");
    expect(await steady.service.stop()).toBe(0);
    const revoked = await client.revokeToken({ tokenId: token.token!.id, awaitValidators: { seconds: 3n } });
    expect(revoked.acknowledgement).toMatchObject({ applied: 1, live: 1, complete: true });
  });
});
