import { sql } from "kysely";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { openDatabase, type DatabaseHandle } from "@tessera/shared/db/database";
import { Replica } from "@tessera/token-validator/domain/replica";
import { createFeedStore } from "@tessera/token-validator/store/feed-store";
import { eventually } from "../support/clients.js";
import { startDeployment, type Deployment } from "../support/deployment.js";
import { deploymentEnv, startValidator } from "../support/in-process.js";
import { uniqueRedisPrefix } from "../support/test-redis.js";
import { replicaView, snapshotReplica } from "../support/replica-equality.js";

// TESSERA_SNAPSHOT_DATABASE_URL: snapshots and change_log ranges from a read
// replica, the head from the primary. There is no streaming replica here, so a
// lagging one is made: a schema holding copies of the tables as they were at one
// moment, put first on the replica connection's search_path (the snapshot
// functions then read the copies). The primary moves on after the copy.

const copiedTables = ["organisation", '"group"', "principal", "token", "change_counter", "change_log"];

describe("snapshots from a lagging read replica", () => {
  let d: Deployment;
  let lagging: DatabaseHandle;
  let laggingUrl: string;
  let copiedSeq: bigint;

  beforeAll(async () => {
    d = await startDeployment();
    const revoked = await d.adminApi.createToken({ name: "revoked after the copy", scopes: ["orders:read"] });
    await d.adminApi.createToken({ name: "kept", scopes: [] });
    const db = d.database.handle.db;
    await sql`create schema lagging`.execute(db);
    for (const table of copiedTables) await sql.raw(`create table lagging.${table} as table public.${table}`).execute(db);
    copiedSeq = BigInt((await db.selectFrom("change_counter").select("seq").executeTakeFirstOrThrow()).seq);
    // After the copy: a revocation and a new token the replica has not seen.
    await d.adminApi.revokeToken({ tokenId: revoked.token!.id });
    await d.adminApi.createToken({ name: "made after the copy", scopes: [] });
    const url = new URL(d.database.url!);
    url.searchParams.set("options", "-c search_path=lagging,public");
    laggingUrl = url.toString();
    lagging = await openDatabase({ url: laggingUrl, dataDir: "", poolSize: 2 });
  });
  afterAll(async () => {
    await lagging?.close();
    await d?.close();
  });

  it("the copy does lag: a snapshot of it alone is behind the primary", async () => {
    const behind = new Replica();
    behind.appliedSeq = await createFeedStore(lagging.db).readSnapshot(behind);
    expect(behind.appliedSeq).toBe(copiedSeq);
    expect(behind.appliedSeq).toBeLessThan(BigInt((await createFeedStore(d.database.handle.db).readHead())));
  });

  it("a snapshot read from the replica is brought up to the primary's head, equal to a snapshot of the primary", async () => {
    const store = createFeedStore(d.database.handle.db, () => new Date(), undefined, { replicaDb: lagging.db });
    const fresh = new Replica();
    fresh.appliedSeq = await store.readSnapshot(fresh);
    expect(replicaView(fresh)).toEqual(replicaView(await snapshotReplica(d.database.handle.db)));
  });

  it("a change_log range the replica cannot complete is completed from the primary", async () => {
    const store = createFeedStore(d.database.handle.db, () => new Date(), undefined, { replicaDb: lagging.db });
    const head = await store.readHead();
    const changes = await store.readChanges(copiedSeq - 1n, 1000);
    expect(changes.map((c) => c.seq)).toEqual(Array.from({ length: Number(head - copiedSeq + 1n) }, (_, i) => copiedSeq + BigInt(i)));
  });

  it("a validator with TESSERA_SNAPSHOT_DATABASE_URL starts equal to the primary and follows it", async () => {
    // A Redis prefix of its own: it follows the primary by polling change_log, through the replica.
    const validator = await startValidator({ ...deploymentEnv(d.database, uniqueRedisPrefix()), TESSERA_SNAPSHOT_DATABASE_URL: laggingUrl });
    try {
      expect(replicaView(validator.follower.replica)).toEqual(replicaView(await snapshotReplica(d.database.handle.db)));
      const { seq } = await d.adminApi.revokeToken({ tokenId: (await d.adminApi.createToken({ name: "later", scopes: [] })).token!.id });
      await eventually(async () => validator.follower.replica.appliedSeq >= seq, 5000);
      expect(replicaView(validator.follower.replica)).toEqual(replicaView(await snapshotReplica(d.database.handle.db)));
    } finally {
      await validator.close();
    }
  });
});
