import { fromBinary } from "@bufbuild/protobuf";
import { sql } from "kysely";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ChangeEventSchema } from "@tessera/shared/gen/tessera/feed/v1/feed_pb";
import type { RunningValidator } from "@tessera/token-validator/start-token-validator";
import { adminClient, eventually, type AdminClient } from "../support/clients.js";
import { clusterEnv, feedHead, spawnAdmin, type SpawnedAdmin } from "../support/feed-cluster.js";
import { deploymentEnv, startValidator } from "../support/in-process.js";
import { replicaView, snapshotReplica } from "../support/replica-equality.js";
import { createPostgresDatabase, type TestDatabase } from "../support/test-database.js";
import { uniqueRedisPrefix } from "../support/test-redis.js";

// Three admin processes write concurrently to one real Postgres; validators run
// in this process so their replicas can be compared with a fresh snapshot.

/**
 * Runs `tasks` with `limit` in flight at once. The limit only keeps each admin's
 * pool queue short enough that no call waits out the pool's 2 s connection
 * timeout on a busy machine (that would be UNAVAILABLE, by design): it stays
 * well above the pools' connections, so Postgres always has every writer it can take.
 */
async function inParallel<T>(tasks: (() => Promise<T>)[], limit: number): Promise<T[]> {
  const results: T[] = [];
  let next = 0;
  const worker = async () => {
    for (let i = next++; i < tasks.length; i = next++) results[i] = await tasks[i]!();
  };
  await Promise.all(Array.from({ length: limit }, worker));
  return results;
}
describe("gap-free, commit-ordered seq under concurrent writers", () => {
  let database: TestDatabase;
  let admins: SpawnedAdmin[] = [];
  let clients: AdminClient[];
  let validators: RunningValidator[] = [];
  let validatorEnv: Record<string, string>;

  beforeAll(async () => {
    database = await createPostgresDatabase();
    const prefix = uniqueRedisPrefix();
    // A small pool each: other test runs share this Postgres.
    const env = { ...clusterEnv(database, prefix), TESSERA_DB_POOL_SIZE: "6" };
    const first = await spawnAdmin(env, true); // bootstraps the store; the others then find it initialised
    admins = [first, ...(await Promise.all([spawnAdmin(env), spawnAdmin(env)]))];
    clients = admins.map((admin) => adminClient(admin.port, first.token));
    validatorEnv = deploymentEnv(database, prefix);
    validators = await Promise.all(["a", "b"].map((id) => startValidator({ ...validatorEnv, TESSERA_VALIDATOR_ID: id })));
  });

  afterAll(async () => {
    await Promise.all(validators.map((v) => v.close()));
    await Promise.all(admins.map((a) => a.service.stop()));
    await database?.drop();
  });

  it("numbers 200 concurrent creates and revokes from three admin processes 1..N with no hole, ever; every replica equals a fresh snapshot", async () => {
    const db = database.handle.db;
    const inFlight = 48; // 16 per admin process, whose pools hold 6 connections each
    // Watches change_log throughout: at no instant may a reader see a hole (a later seq committed before an earlier one).
    let watching = true;
    const holesSeen: string[] = [];
    const watcher = (async () => {
      while (watching) {
        const { rows } = await sql<{ n: string; top: string }>`select count(*) as n, coalesce(max(seq), 0) as top from change_log`.execute(db);
        if (rows[0]!.n !== rows[0]!.top) holesSeen.push(`${rows[0]!.n} rows up to seq ${rows[0]!.top}`);
      }
    })();

    let late: Promise<RunningValidator> | undefined;
    try {
      const created = await inParallel(
        Array.from({ length: 100 }, (_, i) => () => clients[i % 3]!.createToken({ name: `setup ${i}`, scopes: ["orders:read"] })),
        inFlight,
      );
      // The 200: each setup token revoked, 100 new tokens created, interleaved across the admins.
      // A third validator starts while they stream in: it must converge with nothing lost between
      // its snapshot and the events it held, and it polls too rarely for a poll to rescue it.
      let done = 0;
      const ops = Array.from({ length: 200 }, (_, i) => () =>
        (i % 2 === 0
          ? clients[i % 3]!.revokeToken({ tokenId: created[i / 2]!.token!.id })
          : clients[i % 3]!.createToken({ name: `streamed ${i}`, scopes: ["orders:write"] })
        ).then(() => {
          if (++done === 50) late = startValidator({ ...validatorEnv, TESSERA_VALIDATOR_ID: "late", TESSERA_POLL_INTERVAL_MS: "60000", TESSERA_MAX_STALENESS_MS: "120000" });
        }),
      );
      await inParallel(ops, inFlight);
    } finally {
      watching = false;
      await watcher;
      if (late) validators.push(await late);
    }
    expect(validators).toHaveLength(3);

    expect(holesSeen).toEqual([]);
    const head = await feedHead(db);
    const rows = await db.selectFrom("change_log").select(["seq", "event"]).orderBy("seq").execute();
    expect(rows.map((row) => BigInt(row.seq))).toEqual(Array.from({ length: Number(head) }, (_, i) => BigInt(i + 1)));
    expect(rows.map((row) => fromBinary(ChangeEventSchema, row.event).seq)).toEqual(rows.map((row) => BigInt(row.seq)));
    expect(head).toBeGreaterThanOrEqual(301n); // the bootstrap, 100 setup creates, the 200

    await eventually(async () => validators.every((v) => v.follower.replica.appliedSeq === head), 10_000);
    const truth = replicaView(await snapshotReplica(db));
    expect(truth.appliedSeq).toBe(String(head));
    for (const validator of validators) expect(replicaView(validator.follower.replica)).toEqual(truth);
  });
});
