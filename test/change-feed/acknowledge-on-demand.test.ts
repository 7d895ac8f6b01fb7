import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ValidationCode } from "@tessera/shared/gen/tessera/v1/validator_pb";
import type { RunningAdmin } from "@tessera/token-admin/start-token-admin";
import { adminClient, eventually, type AdminClient } from "../support/clients.js";
import { clusterEnv, spawnValidator, type SpawnedValidator } from "../support/feed-cluster.js";
import { deploymentEnv, startAdmin } from "../support/in-process.js";
import { createPostgresDatabase, type TestDatabase } from "../support/test-database.js";
import { uniqueRedisPrefix } from "../support/test-redis.js";

// A validator reports its position at once only for a change a writer waits
// for; every other change rides on its periodic report. `quiet` reports every
// ten minutes, so within this test every report heard from it after start-up
// was made at once.
describe("acknowledgements on demand", () => {
  let database: TestDatabase;
  let admin: RunningAdmin;
  let client: AdminClient;
  let quiet: SpawnedValidator;
  const heard: bigint[] = [];
  let stopWatching: (() => void) | undefined;

  beforeAll(async () => {
    database = await createPostgresDatabase();
    const prefix = uniqueRedisPrefix();
    admin = await startAdmin(deploymentEnv(database, prefix));
    client = adminClient(admin.port, admin.bootstrapped!.adminToken);
    quiet = await spawnValidator({ ...clusterEnv(database, prefix), TESSERA_VALIDATOR_ID: "quiet", TESSERA_HEARTBEAT_MS: "600000" });
    // Its start-up report may still be on its way: wait for the roster to list it, then listen.
    await eventually(async () => (await admin.deps.roster.list()).some((entry) => entry.validatorId === "quiet"), 5000);
    stopWatching = await admin.deps.roster.watch((report) => {
      if (report.validatorId === "quiet") heard.push(report.appliedSeq);
    });
  });

  afterAll(async () => {
    stopWatching?.();
    await quiet?.close();
    await admin?.close();
    await database?.drop();
  });

  it("sends nothing for changes nobody awaits, and reports at once the one a writer waits for", async () => {
    const tokens: Awaited<ReturnType<AdminClient["createToken"]>>[] = [];
    for (let i = 0; i < 10; i++) tokens.push(await client.createToken({ name: `unawaited ${i}`, scopes: ["orders:read"] }));
    for (const token of tokens) await client.revokeToken({ tokenId: token.token!.id });
    // Applied: it refuses every one of them.
    await eventually(async () => {
      const answers = await Promise.all(tokens.map((t) => quiet.client.validate(t.tokenValue)));
      return answers.every((a) => a.code === ValidationCode.REVOKED);
    }, 5000);
    expect(heard).toEqual([]);

    const awaited = await client.createToken({ name: "awaited", scopes: ["orders:read"] });
    const revoked = await client.revokeToken({ tokenId: awaited.token!.id, awaitValidators: { seconds: 5n } });
    // Complete long before its ten-minute report could have said so.
    expect(revoked.acknowledgement).toMatchObject({ applied: 1, live: 1, complete: true, appliedValidatorIds: ["quiet"] });
    expect(heard).toContain(revoked.seq);
  });
});
