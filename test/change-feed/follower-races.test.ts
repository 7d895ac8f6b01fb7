import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createMemoryChangeFeed } from "@tessera/shared/bus/memory-change-feed";
import { TokenState } from "@tessera/shared/gen/tessera/feed/v1/feed_pb";
import { createLogger } from "@tessera/shared/log/logger";
import type { RunningAdmin } from "@tessera/token-admin/start-token-admin";
import { FeedFollower } from "@tessera/token-validator/domain/feed-follower";
import type { FeedSource } from "@tessera/token-validator/domain/feed-source";
import { FreshnessTracker } from "@tessera/token-validator/domain/freshness";
import { createFeedStore } from "@tessera/token-validator/store/feed-store";
import { testPepper } from "../support/admin-deps.js";
import { adminClient, type AdminClient } from "../support/clients.js";
import { startAdmin } from "../support/in-process.js";
import { replicaView, snapshotReplica } from "../support/replica-equality.js";
import { createPostgresDatabase, type TestDatabase } from "../support/test-database.js";

// The follower's races, made to happen on purpose: a real admin writes to real
// Postgres, but publishes nowhere (no REDIS_URL, so an in-process bus no one
// follows); the test delivers change_log events itself, and holds the
// follower's reads of Postgres at the worst moment.

type ReadName = "readChanges" | "readSnapshot";

/** The real feed store, whose next read of a kind can be held after it has read and before it returns. */
function gatedSource(db: TestDatabase["handle"]["db"]) {
  const real = createFeedStore(db);
  const holds = new Map<ReadName, { reached: () => void; released: Promise<void> }>();
  const pass = async <T>(name: ReadName, read: Promise<T>): Promise<T> => {
    const result = await read;
    const hold = holds.get(name);
    if (hold) {
      holds.delete(name);
      hold.reached();
      await hold.released;
    }
    return result;
  };
  const source: FeedSource = {
    readHead: () => real.readHead(),
    readChanges: (afterSeq, limit) => pass("readChanges", real.readChanges(afterSeq, limit)),
    readSnapshot: (into) => pass("readSnapshot", real.readSnapshot(into)),
  };
  /** Holds the next `name` read; `reached` resolves once it has read, `release` lets it return. */
  const holdNext = (name: ReadName) => {
    let reached!: () => void;
    let release!: () => void;
    const reachedPromise = new Promise<void>((resolve) => (reached = resolve));
    holds.set(name, { reached, released: new Promise<void>((resolve) => (release = resolve)) });
    return { reached: reachedPromise, release };
  };
  return { source, holdNext };
}

describe("feed follower races (real Postgres, reads held on purpose)", () => {
  let database: TestDatabase;
  let admin: RunningAdmin;
  let client: AdminClient;

  beforeAll(async () => {
    database = await createPostgresDatabase();
    admin = await startAdmin({ DATABASE_URL: database.url!, TESSERA_PEPPER: testPepper, TESSERA_LOG_LEVEL: "silent" });
    client = adminClient(admin.port, admin.bootstrapped!.adminToken);
  });
  afterAll(async () => {
    await admin?.close();
    await database?.drop();
  });

  const head = async () => BigInt((await database.handle.db.selectFrom("change_counter").select("seq").executeTakeFirstOrThrow()).seq);
  const eventAt = async (seq: bigint) =>
    (await database.handle.db.selectFrom("change_log").select("event").where("seq", "=", String(seq)).executeTakeFirstOrThrow()).event;
  /** Lets the in-process bus deliver what was published. */
  const delivered = () => new Promise((resolve) => setImmediate(resolve));

  /** A follower on its own in-process bus, polling only when told to; records the token's state at every applied position. */
  async function follow(source: FeedSource, watchTokenId: () => string | undefined, maxHeldEvents?: number) {
    const bus = createMemoryChangeFeed();
    const states: (TokenState | undefined)[] = [];
    const follower: FeedFollower = new FeedFollower({
      source,
      feed: bus,
      freshness: new FreshnessTracker({ maxStalenessMs: 3_600_000, feedRequired: false, feedExpected: true }),
      log: createLogger("silent", "test"),
      now: Date.now,
      pollIntervalMs: 3_600_000,
      maxHeldEvents,
      onApplied: () => {
        const id = watchTokenId();
        if (id) states.push(follower.replica.findToken(id)?.state);
      },
    });
    const publish = async (...seqs: bigint[]) => {
      for (const seq of seqs) await bus.publishChange(await eventAt(seq));
      await delivered();
    };
    return { follower, bus, publish, states };
  }

  /** Once revoked, never usable again: no applied position after the first REVOKED shows the token otherwise. */
  const expectNeverUnrevoked = (states: (TokenState | undefined)[]) => {
    const first = states.indexOf(TokenState.REVOKED);
    expect(first, `states seen: ${states.join(",")}`).toBeGreaterThanOrEqual(0);
    expect(states.slice(first).every((s) => s === TokenState.REVOKED), `states seen: ${states.join(",")}`).toBe(true);
  };

  it("never applies a change_log range read before a revocation after the revocation", async () => {
    const { source, holdNext } = gatedSource(database.handle.db);
    let tokenId: string | undefined;
    const { follower, publish, states } = await follow(source, () => tokenId);
    await follower.start();

    const created = await client.createToken({ name: "fill-race", scopes: ["orders:read"] });
    tokenId = created.token!.id;
    const createdSeq = await head();
    // A poll finds the creation and reads it from change_log (the token active) — and is held there.
    const hold = holdNext("readChanges");
    const polled = follower.poll();
    await hold.reached;
    // Meanwhile the token is revoked and both events arrive live.
    const revoked = await client.revokeToken({ tokenId });
    await publish(createdSeq, revoked.seq);
    expect(follower.replica.findToken(tokenId)?.state).toBe(TokenState.REVOKED);
    // Now the range read before the revocation comes back: it must change nothing.
    hold.release();
    await polled;
    expect(follower.replica.appliedSeq).toBe(revoked.seq);
    expect(follower.replica.findToken(tokenId)?.state).toBe(TokenState.REVOKED);
    expectNeverUnrevoked(states);
    follower.close();
  });

  it("applies every event published while the snapshot loads, in seq order, and ignores those the snapshot covers", async () => {
    const { source, holdNext } = gatedSource(database.handle.db);
    const created = await client.createToken({ name: "handoff", scopes: ["orders:read"] });
    const createdSeq = await head();
    const { follower, publish } = await follow(source, () => undefined);
    const hold = holdNext("readSnapshot");
    const started = follower.start();
    await hold.reached; // the snapshot has read: the token active, at some head
    expect(follower.replica.tokenCount).toBe(0);

    const revoked = await client.revokeToken({ tokenId: created.token!.id });
    const another = await client.createToken({ name: "handoff-2", scopes: [] });
    const last = await head();
    // Out of order, with an event the snapshot already covers (the creation) last.
    await publish(last, revoked.seq, createdSeq);
    hold.release();
    await started;

    expect(follower.replica.appliedSeq).toBe(last);
    expect(follower.replica.findToken(created.token!.id)?.state).toBe(TokenState.REVOKED);
    expect(follower.replica.findToken(another.token!.id)?.state).toBe(TokenState.ACTIVE);
    expect(replicaView(follower.replica)).toEqual(replicaView(await snapshotReplica(database.handle.db)));
    follower.close();
  });

  it("ignores duplicated and old events: a storm of them moves the replica not at all", async () => {
    const { source } = gatedSource(database.handle.db);
    let tokenId: string | undefined;
    const { follower, publish, states } = await follow(source, () => tokenId);
    await follower.start();
    const from = follower.replica.appliedSeq;
    const created = [];
    for (let i = 0; i < 3; i++) created.push(await client.createToken({ name: `storm ${i}`, scopes: ["orders:read"] }));
    tokenId = created[0]!.token!.id;
    for (const token of created.slice(0, 2)) await client.revokeToken({ tokenId: token.token!.id });
    const last = await head();
    const seqs = Array.from({ length: Number(last - from) }, (_, i) => from + 1n + BigInt(i));
    await publish(...seqs);
    expect(follower.replica.appliedSeq).toBe(last);
    const before = replicaView(follower.replica);

    // Every event again, newest first (each creation after its revocation), then again in order.
    await publish(...[...seqs].reverse(), ...seqs);
    expect(follower.replica.appliedSeq).toBe(last);
    expect(replicaView(follower.replica)).toEqual(before);
    expect(before).toEqual(replicaView(await snapshotReplica(database.handle.db)));
    expectNeverUnrevoked(states);
    follower.close();
  });

  it("follows the database back when it is restored to an earlier seq, rather than ignore its new changes as old", async () => {
    const { source } = gatedSource(database.handle.db);
    const { follower, publish } = await follow(source, () => undefined);
    const kept = await client.createToken({ name: "kept through the restore", scopes: ["orders:read"] });
    await follower.start();
    const restoredTo = follower.replica.appliedSeq;
    const lost = [await client.createToken({ name: "lost in the restore", scopes: [] }), await client.createToken({ name: "lost too", scopes: [] })];
    await publish(restoredTo + 1n, restoredTo + 2n);
    expect(follower.replica.appliedSeq).toBe(restoredTo + 2n);

    // The database is restored to `restoredTo`: the two creations never happened.
    await database.handle.db.deleteFrom("change_log").where("seq", ">", String(restoredTo)).execute();
    await database.handle.db.deleteFrom("token").where("id", "in", lost.map((t) => t.token!.id)).execute();
    await database.handle.db.updateTable("change_counter").set({ seq: String(restoredTo) }).execute();
    // Its next change reuses a seq the follower has seen: as an event, it looks old.
    const revoked = await client.revokeToken({ tokenId: kept.token!.id });
    expect(revoked.seq).toBe(restoredTo + 1n);
    await publish(revoked.seq);
    expect(follower.replica.findToken(kept.token!.id)?.state).toBe(TokenState.ACTIVE);

    await follower.poll(); // the head is behind what it applied: it reloads, stepping back
    expect(follower.replica.findToken(kept.token!.id)?.state).toBe(TokenState.REVOKED);
    expect(replicaView(follower.replica)).toEqual(replicaView(await snapshotReplica(database.handle.db)));
    follower.close();
  });

  it("never swaps in a reloaded snapshot behind the replica it replaces", async () => {
    const { source, holdNext } = gatedSource(database.handle.db);
    let tokenId: string | undefined;
    // Room to hold one event only, so the replica being replaced gets ahead of snapshot + held events.
    const { follower, bus, publish, states } = await follow(source, () => tokenId, 1);
    await follower.start();
    const created = await client.createToken({ name: "reload-race", scopes: ["orders:read"] });
    tokenId = created.token!.id;
    await publish(await head());
    expect(follower.replica.findToken(tokenId)?.state).toBe(TokenState.ACTIVE);

    // One more change, and change_log pruned up to it: the follower must reload a snapshot.
    await client.createToken({ name: "pruned", scopes: [] });
    const prunedSeq = await head();
    const prunedEvent = await eventAt(prunedSeq);
    await database.handle.db.deleteFrom("change_log").where("seq", "<=", String(prunedSeq)).execute();
    const oldReplica = follower.replica;
    const hold = holdNext("readSnapshot");
    const polled = follower.poll();
    await hold.reached; // the snapshot has read the token active

    // The serving replica applies the pruned change (it arrives late) and the revocation, live.
    const revoked = await client.revokeToken({ tokenId });
    await bus.publishChange(prunedEvent);
    await publish(revoked.seq);
    expect(oldReplica.findToken(tokenId)?.state).toBe(TokenState.REVOKED);

    hold.release();
    await polled;
    expect(follower.replica).not.toBe(oldReplica);
    expect(follower.replica.findToken(tokenId)?.state).toBe(TokenState.REVOKED);
    expect(follower.replica.appliedSeq).toBe(revoked.seq);
    expectNeverUnrevoked(states);
    follower.close();
  });
});
