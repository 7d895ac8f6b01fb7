import { sql, type Kysely } from "kysely";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Database } from "@tessera/shared/db/schema";
import { readDatabaseSnapshot } from "@tessera/shared/snapshot/database-snapshot";
import { packedToken, packedTokenLength } from "@tessera/shared/snapshot/packed-token-layout";
import { engines, type TestDatabase } from "@tessera/test-support/test-database";

// The snapshot's SQL contract (the tessera_snapshot_* functions), on both engines:
// what a snapshot holds, in what order, and what an organisations filter leaves out.

const org = { a: "a0000000-0000-4000-8000-00000000000a", b: "a0000000-0000-4000-8000-00000000000b" };
const principal = { a: "c0000000-0000-4000-8000-00000000000a", b: "c0000000-0000-4000-8000-00000000000b", off: "c0000000-0000-4000-8000-0000000000ff" };
const token = {
  parent: "d0000000-0000-4000-8000-000000000001",
  child: "d0000000-0000-4000-8000-000000000002",
  longRevoked: "d0000000-0000-4000-8000-000000000003",
  deleted: "d0000000-0000-4000-8000-000000000004",
  other: "d0000000-0000-4000-8000-000000000005",
};

const uuidAt = (bytes: Uint8Array, at: number) => {
  const hex = Buffer.from(bytes.subarray(at, at + packedToken.uuidBytes)).toString("hex");
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
};

/** What a snapshot delivered: record kinds with ids, token ids in order. */
async function readAll(db: Kysely<Database>, organisations?: string[]) {
  const records: string[] = [];
  const tokens: string[] = [];
  const head = await readDatabaseSnapshot(db, { cutoff: new Date(Date.now() - 3600_000), organisations }, {
    record: (record) => void records.push(`${record.record.case}:${(record.record.value as { id: string }).id}`),
    tokens(chunk) {
      for (let at = 0; at < chunk.length; at += packedTokenLength(chunk, at)!) tokens.push(uuidAt(chunk, at + packedToken.id));
    },
  });
  return { head, records, tokens };
}

for (const engine of engines) {
  describe(`the snapshot functions on ${engine.name}`, () => {
    let database: TestDatabase;
    beforeAll(async () => {
      database = await engine.create();
      const db = database.handle.db;
      await sql`insert into organisation (id, name) values (${org.a}, 'a'), (${org.b}, 'b')`.execute(db);
      await sql`insert into "group" (id, organisation_id, name, tokens_not_before) values (gen_random_uuid(), ${org.a}, 'cut', now()), (gen_random_uuid(), ${org.b}, 'cut', now()), (gen_random_uuid(), ${org.a}, 'plain', null)`.execute(db);
      await sql`insert into principal (id, organisation_id, name, kind, role, disabled_at) values
        (${principal.a}, ${org.a}, 'a', 'human', 'member', null), (${principal.b}, ${org.b}, 'b', 'human', 'member', null), (${principal.off}, ${org.a}, 'off', 'human', 'member', now())`.execute(db);
      const insert = (id: string, organisationId: string, owner: string, extra: { parent?: string; revokedAt?: string; deleted?: boolean; kind?: string } = {}) =>
        sql`insert into token (id, organisation_id, owner_id, name, level, kind, scopes, created_by, digest, display_hint, parent_token_id, revoked_at, deleted_at)
          values (${id}, ${organisationId}, ${owner}, ${id}, 'user', ${extra.kind ?? "personal"}, '{orders:read}', ${owner}, decode(md5(${id}) || md5(${id}), 'hex'), 'x',
            ${extra.parent ?? null}, ${extra.revokedAt ? sql`now() - ${extra.revokedAt}::interval` : null}, ${extra.deleted ? sql`now()` : null})`.execute(db);
      // The child first in the heap: the snapshot still puts it after its parent.
      await insert(token.parent, org.a, principal.a);
      await sql`update token set name = 'moved' where id = ${token.parent}`.execute(db); // a newer row version, later in the heap
      await insert(token.child, org.a, principal.a, { parent: token.parent, kind: "exchanged" });
      await insert(token.longRevoked, org.a, principal.a, { revokedAt: "2 hours" });
      await insert(token.deleted, org.a, principal.a, { deleted: true });
      await insert(token.other, org.b, principal.b);
    });
    afterAll(() => database.drop());

    it("holds organisations, groups with a cut-off, enabled principals and live tokens, children after their parents", async () => {
      const { records, tokens } = await readAll(database.handle.db);
      expect(records.filter((r) => r.startsWith("organisation:")).sort()).toEqual([`organisation:${org.a}`, `organisation:${org.b}`]);
      expect(records.filter((r) => r.startsWith("group:"))).toHaveLength(2);
      expect(records.filter((r) => r.startsWith("principal:")).sort()).toEqual([`principal:${principal.a}`, `principal:${principal.b}`]);
      expect([...tokens].sort()).toEqual([token.parent, token.child, token.other].sort());
      expect(tokens.indexOf(token.child)).toBeGreaterThan(tokens.indexOf(token.parent));
    });

    it("with organisations given, holds only theirs", async () => {
      const { records, tokens } = await readAll(database.handle.db, [org.a]);
      expect(records.filter((r) => r.startsWith("organisation:"))).toEqual([`organisation:${org.a}`]);
      expect(records.filter((r) => r.startsWith("group:"))).toHaveLength(1);
      expect(records.filter((r) => r.startsWith("principal:"))).toEqual([`principal:${principal.a}`]);
      expect(tokens).toEqual([token.parent, token.child]);
      expect((await readAll(database.handle.db, [])).tokens).toEqual([]);
    });
  });
}
