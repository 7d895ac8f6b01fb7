import { sql } from "kysely";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { createMemoryValidatorRoster } from "@tessera/shared/bus/memory-validator-roster";
import { createLogger } from "@tessera/shared/log/logger";
import { bootstrapAdmin, testAdminDeps } from "@tessera/test-support/admin-deps";
import { engines, type TestDatabase } from "@tessera/test-support/test-database";
import type { AdminDeps } from "../admin-deps.js";
import type { Caller } from "../access/caller.js";
import { createToken } from "../tokens/create-token.js";
import { changeLogExtent, pruneLockKey } from "../../store/change-log-store.js";
import { recordFollowers, removeFollower, validatorKind } from "../../store/change-follower-store.js";
import { ChangeLogFollowers } from "./change-log-followers.js";
import { webhookCursorFloor } from "../../store/webhook-store.js";
import { pruneChangeLog, type ChangeLogPrunerDeps, type ChangeLogRetention } from "./prune-change-log.js";
import { startValidatorPositions } from "./validator-positions.js";

const personal = { ownerId: undefined, expiry: undefined, level: "user", groupId: undefined, organisationId: undefined, admin: false } as const;
const log = createLogger("silent", "test");
const none: ChangeLogRetention = { retentionMs: 0, minRows: 0, validatorExpiryMs: 60_000, intervalMs: 60_000 };

for (const engine of engines) {
  describe(`pruning change_log on ${engine.name}`, () => {
    let database: TestDatabase;
    let deps: AdminDeps;
    let admin: Caller;
    let roster: ReturnType<typeof createMemoryValidatorRoster>;
    let followers: ChangeLogFollowers;
    let nowMs: number;

    beforeAll(async () => {
      database = await engine.create();
      deps = await testAdminDeps(database.handle.db);
      admin = (await bootstrapAdmin(deps)).caller;
    });
    afterAll(() => database.drop());
    beforeEach(async () => {
      roster = createMemoryValidatorRoster(() => nowMs);
      followers = new ChangeLogFollowers();
      nowMs = Date.now();
      await deps.db.deleteFrom("change_follower").execute();
    });

    const prunerDeps = (retention: ChangeLogRetention = none): ChangeLogPrunerDeps => ({ db: deps.db, roster, followers, now: () => new Date(nowMs), log, retention });
    /** `n` changes; returns the head after them. */
    const changes = async (n: number) => {
      let seq = 0n;
      for (let i = 0; i < n; i++) seq = (await createToken(deps, admin, { ...personal, name: `t${i}`, scopes: [] })).seq;
      nowMs = Date.now() + 1000; // the rows are in the past
      return seq;
    };
    const report = (validatorId: string, appliedSeq: bigint) =>
      roster.report({ validatorId, appliedSeq, freshness: "current", stalenessMs: 0, maxStalenessMs: 5000 }, 3000);

    it("with no follower, prunes everything but the floor of rows", async () => {
      const head = await changes(5);
      const round = await pruneChangeLog(prunerDeps({ ...none, minRows: 2 }));
      expect(round).toMatchObject({ head, horizon: head, heldBy: "head", skipped: false });
      expect(await changeLogExtent(deps.db)).toEqual({ rows: 2, oldestSeq: head - 1n });
    });

    it("keeps every row an enabled webhook endpoint has not read; a disabled one holds nothing back", async () => {
      const behind = await changes(1);
      const endpoint = (url: string, enabled: boolean) =>
        deps.db.insertInto("webhook_endpoint").values({ url, events: ["token.created"], secret: Buffer.alloc(32), cursor_seq: String(behind), enabled, description: "" }).returning("id").executeTakeFirstOrThrow();
      const slow = await endpoint("https://slow.example/hook", true);
      await endpoint("https://off.example/hook", false);
      const head = await changes(3);
      followers.add({ name: "webhooks", passedSeq: () => webhookCursorFloor(deps.db) });
      expect(await pruneChangeLog(prunerDeps())).toMatchObject({ horizon: behind, heldBy: "webhooks" });
      expect((await changeLogExtent(deps.db)).oldestSeq).toBe(behind + 1n);
      await deps.db.updateTable("webhook_endpoint").set({ cursor_seq: String(head) }).where("id", "=", slow.id).execute();
      expect(await pruneChangeLog(prunerDeps())).toMatchObject({ horizon: head });
      await deps.db.deleteFrom("webhook_endpoint").execute();
    });

    it("keeps every row a listed validator has not applied, even one no longer reachable", async () => {
      const behind = await changes(1);
      const head = await changes(4);
      await report("slow", behind);
      await report("fast", head);
      nowMs += 4000; // past the reports' TTL: unreachable, still listed within the staleness bound
      expect((await roster.list()).map((e) => e.reachable)).toEqual([false, false]);
      const round = await pruneChangeLog(prunerDeps());
      expect(round).toMatchObject({ horizon: behind, heldBy: "validator slow" });
      expect((await changeLogExtent(deps.db)).oldestSeq).toBe(behind + 1n);
    });

    it("keeps rows a recently heard validator needs after the roster forgot it; forgets it after the expiry", async () => {
      const behind = await changes(1);
      const head = await changes(3);
      const positions = await startValidatorPositions(roster, deps.db, 60_000, log);
      await report("gone-quiet", behind);
      await positions.flush();
      await positions.stop();
      nowMs += 10_000; // off the roster now
      expect(await roster.list()).toEqual([]);
      expect(await pruneChangeLog(prunerDeps())).toMatchObject({ horizon: behind, heldBy: "change_follower" });
      expect((await changeLogExtent(deps.db)).oldestSeq).toBe(behind + 1n);
      nowMs += 60_000; // past the expiry: a validator back after this long reloads from a snapshot
      expect(await pruneChangeLog(prunerDeps())).toMatchObject({ horizon: head, heldBy: "head" });
      expect(await deps.db.selectFrom("change_follower").selectAll().execute()).toEqual([]);
      expect(await changeLogExtent(deps.db)).toEqual({ rows: 0, oldestSeq: 0n });
    });

    it("waits for durable followers (change_follower, or a cursor of their own) however long they are quiet", async () => {
      const webhookAt = await changes(1);
      const ownCursorAt = await changes(1);
      await changes(2);
      await recordFollowers(deps.db, [{ id: "webhooks", kind: "webhook", appliedSeq: webhookAt, seenAt: new Date(nowMs - 86_400_000) }]);
      const deregister = followers.add({ name: "notifications", passedSeq: async () => ownCursorAt });
      expect(await pruneChangeLog(prunerDeps())).toMatchObject({ horizon: webhookAt, heldBy: "change_follower" });
      await removeFollower(deps.db, "webhooks");
      expect(await pruneChangeLog(prunerDeps())).toMatchObject({ horizon: ownCursorAt, heldBy: "notifications" });
      expect((await changeLogExtent(deps.db)).oldestSeq).toBe(ownCursorAt + 1n);
      deregister();
      await pruneChangeLog(prunerDeps());
      expect((await changeLogExtent(deps.db)).rows).toBe(0);
      expect(validatorKind).toBe("validator");
    });

    it("keeps rows committed within the retention whatever the followers have passed", async () => {
      await changes(3);
      expect(await pruneChangeLog(prunerDeps({ ...none, retentionMs: 3_600_000 }))).toMatchObject({ deleted: 0 });
      nowMs += 3_600_000 + 1000;
      expect(await pruneChangeLog(prunerDeps({ ...none, retentionMs: 3_600_000 }))).toMatchObject({ deleted: 3 });
    });

    // PGlite has one connection: two admins on one data folder cannot run at once there.
    it.runIf(engine.name === "postgres")("skips the round while another admin holds the pruning lock, so two never fight", async () => {
      await changes(2);
      let release!: () => void;
      const released = new Promise<void>((resolve) => (release = resolve));
      let locked!: () => void;
      const isLocked = new Promise<void>((resolve) => (locked = resolve));
      const other = deps.db.transaction().execute(async (trx) => {
        await sql`select pg_advisory_xact_lock(${pruneLockKey.toString()}::int8)`.execute(trx);
        locked();
        await released;
      });
      await isLocked;
      expect(await pruneChangeLog(prunerDeps())).toMatchObject({ skipped: true, deleted: 0 });
      release();
      await other;
      const round = await pruneChangeLog(prunerDeps());
      expect(round.skipped).toBe(false);
      expect(round.deleted).toBeGreaterThan(0);
    });

    it("deletes in batches until done (more rows than one batch)", async () => {
      const head = await changes(1);
      // Rows past one batch of 5000, written directly: the pruner reads only seq and committed_at.
      await deps.db.updateTable("change_counter").set({ seq: String(head + 12_000n) }).execute();
      const values = Array.from({ length: 12_000 }, (_, i) => ({ seq: String(head + 1n + BigInt(i)), event: new Uint8Array(0), committed_at: new Date(nowMs - 1000) }));
      for (let i = 0; i < values.length; i += 2000) await deps.db.insertInto("change_log").values(values.slice(i, i + 2000)).execute();
      const round = await pruneChangeLog(prunerDeps({ ...none, minRows: 10 }));
      expect(round.deleted).toBe(12_001 - 10);
      expect(await changeLogExtent(deps.db)).toEqual({ rows: 10, oldestSeq: head + 12_000n - 9n });
    });
  });
}
