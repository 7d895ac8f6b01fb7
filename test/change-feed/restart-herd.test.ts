import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { sql } from "kysely";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createSnapshotAuth, snapshotAuthHeader } from "@tessera/shared/snapshot/snapshot-auth";
import type { RunningAdmin } from "@tessera/token-admin/start-token-admin";
import { Replica } from "@tessera/token-validator/domain/replica";
import type { RunningValidator } from "@tessera/token-validator/start-token-validator";
import { readCachedSnapshot } from "@tessera/token-validator/store/cached-snapshot-client";
import { testPepper } from "../support/admin-deps.js";
import { eventually } from "../support/clients.js";
import { deploymentEnv, startAdmin, startValidator } from "../support/in-process.js";
import { fillLargeDatabase } from "../support/large-fill.js";
import { replicaView, snapshotReplica, type ReplicaView } from "../support/replica-equality.js";
import { adminQuery, createPostgresDatabase, type TestDatabase } from "../support/test-database.js";
import { uniqueRedisPrefix } from "../support/test-redis.js";

// Issue 14 §6: a fleet restarting at once (a deploy, a node pool replaced) must
// not read a full snapshot from Postgres per validator. token-admin reads one
// and serves it from its cache; Postgres is counted by calls of the snapshot
// function every read makes once (pg_stat_user_functions, with track_functions
// set on this test's database only).

const herdSize = 20;
const tokens = 5000;

describe("a restart herd (real Postgres, token-admin's cached snapshot)", () => {
  let database: TestDatabase;
  let admin: RunningAdmin;
  let env: Record<string, string>;
  let truth: ReplicaView;

  /**
   * Snapshot reads that reached Postgres so far. A session reports its counts when
   * it exits, or within a second of going idle: so once no session is busy, a
   * moment later the counts are complete.
   */
  const snapshotReads = async () => {
    const name = new URL(database.url!).pathname.slice(1);
    await eventually(async () => {
      const { rows } = await sql<{ n: number }>`select count(*)::int4 as n from pg_stat_activity where datname = ${name} and pid <> pg_backend_pid() and state <> 'idle'`.execute(database.handle.db);
      return rows[0]!.n === 0;
    }, 10_000);
    await new Promise((resolve) => setTimeout(resolve, 2500));
    const { rows } = await sql<{ calls: string }>`select coalesce(sum(calls), 0)::text as calls from pg_stat_user_functions where funcname = 'tessera_snapshot_token_pages'`.execute(database.handle.db);
    return Number(rows[0]!.calls);
  };

  /** Starts `count` validators at once with `extra`; stops them once loaded and returns their replicas' views. */
  const herd = async (count: number, extra: Record<string, string>) => {
    const validators: RunningValidator[] = await Promise.all(Array.from({ length: count }, () => startValidator({ ...env, ...extra })));
    const views = validators.map((v) => replicaView(v.follower.replica));
    await Promise.all(validators.map((v) => v.close()));
    return views;
  };

  /** An HTTP server in front of token-admin's snapshot endpoint that alters every body it passes on. */
  const alteringProxy = async (alter: (body: Buffer) => Buffer): Promise<Server> => {
    const server = createServer((req, res) => {
      void (async () => {
        const upstream = await fetch(`http://127.0.0.1:${admin.port}${req.url}`, { headers: { [snapshotAuthHeader]: String(req.headers[snapshotAuthHeader] ?? "") } });
        const body = alter(Buffer.from(await upstream.arrayBuffer()));
        res.writeHead(upstream.status, { "content-length": String(body.length) });
        res.end(body);
      })().catch(() => res.destroy());
    });
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    return server;
  };
  const urlOf = (server: Server) => `http://127.0.0.1:${(server.address() as AddressInfo).port}`;

  beforeAll(async () => {
    database = await createPostgresDatabase();
    await adminQuery(`alter database ${new URL(database.url!).pathname.slice(1)} set track_functions = 'all'`);
    env = { ...deploymentEnv(database, uniqueRedisPrefix()), TESSERA_SNAPSHOT_INTERVAL_MS: "600000" };
    admin = await startAdmin(env);
    await fillLargeDatabase(database.handle.db, tokens);
    await sql`vacuum analyze token`.execute(database.handle.db);
    truth = replicaView(await snapshotReplica(database.handle.db));
    expect(truth.tokens.length).toBeGreaterThan(1000);
  }, 120_000);
  afterAll(async () => {
    await admin?.close();
    await database?.drop();
  });

  it(`starts ${herdSize} validators at once with one snapshot read of Postgres, each replica equal to the database`, async () => {
    const before = await snapshotReads();
    const views = await herd(herdSize, { TESSERA_SNAPSHOT_URL: `http://127.0.0.1:${admin.port}` });
    const reads = (await snapshotReads()) - before;
    expect(reads).toBeLessThanOrEqual(2);
    expect(reads).toBeGreaterThanOrEqual(1); // the cache's own build: the count does see reads
    for (const view of views) expect(view).toEqual(truth);
  }, 120_000);

  it("falls back to Postgres when token-admin's snapshot endpoint is down", async () => {
    const closed = await alteringProxy((body) => body);
    const url = urlOf(closed);
    await new Promise((resolve) => closed.close(resolve));
    const before = await snapshotReads();
    const views = await herd(2, { TESSERA_SNAPSHOT_URL: url });
    expect((await snapshotReads()) - before).toBe(2);
    for (const view of views) expect(view).toEqual(truth);
  }, 60_000);

  it("refuses a truncated or altered snapshot, and loads Postgres instead", async () => {
    const cut = await alteringProxy((body) => body.subarray(0, body.length - 40)); // seal gone, end frame cut
    const forged = await alteringProxy((body) => {
      const copy = Buffer.from(body);
      copy[Math.floor(copy.length / 2)]! ^= 0x01; // one bit, inside the token frames
      return copy;
    });
    try {
      const auth = createSnapshotAuth(testPepper);
      const options = { auth, idleTimeoutMs: 5000, deadTokenRetentionMs: 24 * 3600 * 1000, now: Date.now };
      await expect(readCachedSnapshot({ ...options, url: urlOf(cut) }, new Replica())).rejects.toThrow(/cut short|seal|counts/);
      await expect(readCachedSnapshot({ ...options, url: urlOf(forged) }, new Replica())).rejects.toThrow(/seal|snapshot/);
      // Signed with another pepper: token-admin does not answer.
      const stranger = { ...options, auth: createSnapshotAuth("another-pepper-of-enough-length-0123456789") };
      await expect(readCachedSnapshot({ ...stranger, url: `http://127.0.0.1:${admin.port}` }, new Replica())).rejects.toThrow(/401/);
      // The real thing reads whole.
      const whole = new Replica();
      whole.appliedSeq = await readCachedSnapshot({ ...options, url: `http://127.0.0.1:${admin.port}` }, whole);
      expect(replicaView(whole)).toEqual(truth);

      const before = await snapshotReads();
      const views = [...(await herd(1, { TESSERA_SNAPSHOT_URL: urlOf(cut) })), ...(await herd(1, { TESSERA_SNAPSHOT_URL: urlOf(forged) }))];
      expect((await snapshotReads()) - before).toBe(2);
      for (const view of views) expect(view).toEqual(truth);
    } finally {
      await Promise.all([cut, forged].map((server) => new Promise((resolve) => server.close(resolve))));
    }
  }, 60_000);
});
