import { fromBinary } from "@bufbuild/protobuf";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { ChangeEventSchema } from "@tessera/shared/gen/tessera/feed/v1/feed_pb";
import { bootstrapAdmin, storeCounts, testAdminDeps } from "@tessera/test-support/admin-deps";
import { engines, type TestDatabase } from "@tessera/test-support/test-database";
import type { AdminDeps } from "./admin-deps.js";
import type { Caller } from "./access/caller.js";
import { commitChange } from "./commit-change.js";
import { createToken } from "./tokens/create-token.js";
import { issueToken } from "./tokens/issue-token.js";

const personal = { ownerId: undefined, expiry: undefined, level: "user", groupId: undefined, organisationId: undefined, admin: false } as const;

for (const engine of engines) {
  describe(`lifecycle writes on ${engine.name}`, () => {
    let database: TestDatabase;
    let deps: AdminDeps;
    let admin: Caller;

    beforeEach(async () => {
      database = await engine.create();
      deps = await testAdminDeps(database.handle.db);
      admin = (await bootstrapAdmin(deps)).caller;
    });
    afterEach(() => database.drop());

    it("writes the token, an audit row and one change_log row in one transaction", async () => {
      const before = await storeCounts(deps.db);
      const created = await createToken(deps, admin, { ...personal, name: "ci", scopes: ["orders:read"] });
      const after = await storeCounts(deps.db);
      expect(after.tokens - before.tokens).toBe(1);
      expect(after.audits - before.audits).toBe(1);
      expect(after.changes - before.changes).toBe(1);
      expect(after.head).toBe(before.head + 1);
      expect(created.seq).toBe(BigInt(after.head));

      const row = await deps.db.selectFrom("change_log").select("event").where("seq", "=", String(after.head)).executeTakeFirstOrThrow();
      const event = fromBinary(ChangeEventSchema, row.event);
      expect(event.seq).toBe(created.seq);
      expect(event.records[0]?.record.case).toBe("token");
      // The value itself is stored nowhere: not in the token row, the audit row or the feed.
      const dump = JSON.stringify(await deps.db.selectFrom("token").selectAll().execute()) + JSON.stringify(await deps.db.selectFrom("audit_log").selectAll().execute());
      expect(dump).not.toContain(created.value);
      expect(Buffer.from(row.event).toString("latin1")).not.toContain(created.value);
    });

    it("writes nothing when the use case fails after inserting its row", async () => {
      const before = await storeCounts(deps.db);
      await expect(
        commitChange(deps, async (trx, change) => {
          await issueToken(trx, change, deps, {
            organisationId: admin.organisationId, ownerId: admin.principalId, groupId: null, name: "doomed", level: "user",
            kind: "personal", scopes: [], admin: false, createdBy: admin.principalId, createdAt: new Date(), expiresAt: null,
          });
          change.audit({ action: "token.create", actorId: admin.principalId, actorTokenId: null, organisationId: null, source: "test" });
          throw new Error("fails after the insert");
        }),
      ).rejects.toThrow("fails after the insert");
      expect(await storeCounts(deps.db)).toEqual(before);
    });

    it("writes nothing when the change_log row itself cannot be written", async () => {
      const before = await storeCounts(deps.db);
      // Occupy the next position, so the very last statement of the transaction fails.
      await deps.db.insertInto("change_log").values({ seq: String(before.head + 1), event: new Uint8Array([0]) }).execute();
      await expect(createToken(deps, admin, { ...personal, name: "ci", scopes: [] })).rejects.toThrow();
      const after = await storeCounts(deps.db);
      expect({ ...after, changes: after.changes - 1 }).toEqual(before);
    });
  });
}
