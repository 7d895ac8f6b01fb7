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
const briefBoundMs = 2000;
const frozen = new Set<SpawnedValidator>();

describe("acknowledged revocation", () => {
  let database: TestDatabase;
  let admin: RunningAdmin;
  let client: AdminClient;
  let brisk: SpawnedValidator;
  let steady: SpawnedValidator;
  let brief: SpawnedValidator;

  beforeAll(async () => {
    database = await createPostgresDatabase();
    const prefix = uniqueRedisPrefix();
    admin = await startAdmin(deploymentEnv(database, prefix));
    client = adminClient(admin.port, admin.bootstrapped!.adminToken);
    const env = clusterEnv(database, prefix);
    [brisk, steady, brief] = await Promise.all([
      spawnValidator({ ...env, TESSERA_VALIDATOR_ID: "brisk" }),
      spawnValidator({ ...env, TESSERA_VALIDATOR_ID: "steady", TESSERA_HEARTBEAT_MS: "10000" }),
      // Reports every 200 ms (reachable 600 ms without one), bound 2 s: unreachable soon after a freeze, forgotten 2 s later.
      spawnValidator({ ...env, TESSERA_VALIDATOR_ID: "brief", TESSERA_HEARTBEAT_MS: "200", TESSERA_POLL_INTERVAL_MS: "500", TESSERA_MAX_STALENESS_MS: String(briefBoundMs) }),
    ]);
  });

  afterAll(async () => {
    for (const v of [steady, brief]) if (v?.service.child.exitCode === null) v.service.child.kill("SIGCONT");
    await Promise.all([brisk?.close(), steady?.close(), brief?.close()]);
    await admin?.close();
    await database?.drop();
  });

  const accepted = async (name: string) => {
    const created = await client.createToken({ name, scopes: ["orders:read"] });
    const listed = [brisk, steady, brief].filter((v) => v.service.child.exitCode === null && !frozen.has(v));
    await eventually(async () => (await Promise.all(listed.map((v) => v.client.validate(created.tokenValue)))).every((a) => a.valid), 5000);
    return created;
  };

  it("returns once every live validator has applied the revocation, and says how many of how many", async () => {
    const token = await accepted("acknowledged");
    const revoked = await client.revokeToken({ tokenId: token.token!.id, awaitValidators: { seconds: 5n } });
    expect(revoked.acknowledgement).toMatchObject({ applied: 3, live: 3, unreachable: 0, complete: true, pendingValidatorIds: [] });
    expect([...revoked.acknowledgement!.appliedValidatorIds].sort()).toEqual(["brief", "brisk", "steady"]);
    // Acknowledged means applied: all refuse it now, with no waiting.
    for (const v of [brisk, steady, brief]) expect((await v.client.validate(token.tokenValue)).code).toBe(ValidationCode.REVOKED);
  });

  it("times out honestly when a live validator is not applying (frozen): complete=false, 1 of 2", async () => {
    const token = await accepted("frozen");
    steady.service.child.kill("SIGSTOP");
    try {
      const revoked = await client.revokeToken({ tokenId: token.token!.id, awaitValidators: { seconds: 1n } });
      expect(revoked.acknowledgement).toMatchObject({ applied: 2, live: 3, complete: false, pendingValidatorIds: ["steady"] });
      expect(revoked.acknowledgement!.waitedMs).toBeGreaterThanOrEqual(990); // timers and the ms clock round
      expect((await brisk.client.validate(token.tokenValue)).code).toBe(ValidationCode.REVOKED);
    } finally {
      steady.service.child.kill("SIGCONT");
    }
    // Woken, it applies what it missed.
    await eventually(async () => (await steady.client.validate(token.tokenValue)).code === ValidationCode.REVOKED, 5000);
  });

  it("counts a validator that stopped reporting without a goodbye as unreachable, never complete, until its own bound has passed", async () => {
    const first = await accepted("while brief is frozen");
    brief.service.child.kill("SIGSTOP");
    frozen.add(brief);
    try {
      // Past its 600 ms TTL it is no longer reachable, but still listed: it may be answering from an old replica.
      await new Promise((resolve) => setTimeout(resolve, 1000));
      const revoked = await client.revokeToken({ tokenId: first.token!.id, awaitValidators: { seconds: 1n } });
      expect(revoked.acknowledgement).toMatchObject({ live: 2, applied: 2, unreachable: 1, complete: false, pendingValidatorIds: ["brief"] });
      // Once its bound has passed since its last report it refuses everything on its own: forgotten, complete again.
      await new Promise((resolve) => setTimeout(resolve, briefBoundMs));
      const second = await accepted("after brief's bound");
      const later = await client.revokeToken({ tokenId: second.token!.id, awaitValidators: { seconds: 2n } });
      expect(later.acknowledgement).toMatchObject({ live: 2, applied: 2, unreachable: 0, complete: true });
    } finally {
      brief.service.child.kill("SIGCONT");
      frozen.delete(brief);
    }
    // Woken, it refuses until it has proven itself current, then applies what it missed.
    await eventually(async () => (await brief.client.validate(first.tokenValue)).code === ValidationCode.REVOKED, 5000);
  });

  it("does not wait for a validator that shut down gracefully: it removed its heartbeat on the way out", async () => {
    const token = await accepted("after a goodbye");
    expect(await steady.service.stop()).toBe(0);
    const revoked = await client.revokeToken({ tokenId: token.token!.id, awaitValidators: { seconds: 3n } });
    expect(revoked.acknowledgement).toMatchObject({ applied: 2, live: 2, unreachable: 0, complete: true });
  });
});
