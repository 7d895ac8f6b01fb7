import { fromBinary } from "@bufbuild/protobuf";
import type { KyselyPlugin } from "kysely";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ChangeEventSchema } from "@tessera/shared/gen/tessera/feed/v1/feed_pb";
import { bootstrapAdmin, storeCounts, testAdminDeps } from "@tessera/test-support/admin-deps";
import { engines, type TestDatabase } from "@tessera/test-support/test-database";
import type { AdminDeps } from "../admin-deps.js";
import type { Caller } from "../access/caller.js";
import { createToken } from "./create-token.js";
import { deleteTokens } from "./delete-tokens.js";

const personal = { ownerId: undefined, expiry: undefined, level: "user", groupId: undefined, organisationId: undefined, admin: false } as const;

/** Counts the statements kysely runs (BEGIN and COMMIT aside): each has one result. */
function statementCounter(): KyselyPlugin & { count: number } {
  return {
    count: 0,
    transformQuery: (args) => args.node,
    async transformResult(args) {
      this.count++;
      return args.result;
    },
  };
}

for (const engine of engines) {
  describe(`DeleteTokens on ${engine.name}`, () => {
    let database: TestDatabase;
    let deps: AdminDeps;
    let admin: Caller;
    const counter = statementCounter();

    beforeAll(async () => {
      database = await engine.create();
      deps = await testAdminDeps(database.handle.db.withPlugin(counter));
      admin = (await bootstrapAdmin(deps)).caller;
    });
    afterAll(() => database.drop());

    /** `personalCount` personal tokens and `orgCount` org tokens (each with its system-made owner). */
    const make = async (personalCount: number, orgCount: number) => {
      const ids: string[] = [];
      for (let i = 0; i < personalCount; i++) ids.push((await createToken(deps, admin, { ...personal, name: `p${i}`, scopes: [] })).token.id);
      for (let i = 0; i < orgCount; i++) ids.push((await createToken(deps, admin, { ...personal, level: "org", name: `o${i}`, scopes: [] })).token.id);
      return ids;
    };

    /** Statements one deleteTokens of `ids` sends. */
    const statementsToDelete = async (ids: string[]) => {
      counter.count = 0;
      const { seq } = await deleteTokens(deps, admin, ids);
      return { statements: counter.count, seq: seq! };
    };

    it("sends the same few statements for one token as for a hundred", async () => {
      const one = await statementsToDelete(await make(0, 1));
      const hundred = await make(90, 10);
      const before = await storeCounts(deps.db);
      const many = await statementsToDelete(hundred);
      // Lock, owners, delete, disable system-made owners, audit rows with the feed counter, feed row.
      expect(many.statements).toBe(one.statements);
      expect(many.statements).toBeLessThanOrEqual(6);

      const after = await storeCounts(deps.db);
      expect(after.audits - before.audits).toBe(100);
      expect(after.changes - before.changes).toBe(1);
      const left = await deps.db.selectFrom("token").select("id").where("id", "in", hundred).where("deleted_at", "is", null).execute();
      expect(left).toEqual([]);
      const owners = await deps.db.selectFrom("principal").select("disabled_at").where("system_managed", "=", true).execute();
      expect(owners.filter((o) => o.disabled_at === null)).toEqual([]);
      const row = await deps.db.selectFrom("change_log").select("event").where("seq", "=", String(many.seq)).executeTakeFirstOrThrow();
      const records = fromBinary(ChangeEventSchema, row.event).records;
      expect(records.filter((r) => r.record.case === "token").length).toBe(100);
      expect(records.filter((r) => r.record.case === "principal").length).toBe(10);
      const audits = await deps.db.selectFrom("audit_log").select("token_id").where("action", "=", "token.delete").where("token_id", "in", hundred).execute();
      expect(new Set(audits.map((a) => a.token_id))).toEqual(new Set(hundred));
    });

    it("changes nothing when one of the ids is not the caller's to delete", async () => {
      const ids = await make(3, 0);
      const before = await storeCounts(deps.db);
      await expect(deleteTokens(deps, admin, [...ids, "00000000-0000-4000-8000-000000000000"])).rejects.toThrow(/not found/);
      expect(await storeCounts(deps.db)).toEqual(before);
      const left = await deps.db.selectFrom("token").select("id").where("id", "in", ids).where("deleted_at", "is", null).execute();
      expect(left.length).toBe(3);
    });
  });
}
