import { sql, type Kysely } from "kysely";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Database } from "@tessera/shared/db/schema";
import { engines, type TestDatabase } from "@tessera/test-support/test-database";
import { benchOrganisationId, fillDatabase } from "../../../../bench/support/fill-database.js";
import { Replica } from "../domain/replica.js";
import { organisationScope } from "../domain/organisation-scope.js";
import { createFeedStore } from "./feed-store.js";

const [orgA, orgB] = ["00000000-0000-4000-8000-0000000000aa", "00000000-0000-4000-8000-0000000000bb"];

/** Per organisation: a group with a cut-off, a principal in it, a token, and a token exchanged from it. */
async function fill(db: Kysely<Database>): Promise<void> {
  for (const [org, n] of [[orgA, "a"], [orgB, "b"]] as const) {
    const [group, owner, parent, child] = ["1", "2", "3", "4"].map((i) => `00000000-0000-4000-8000-0000000000${n}${i}`);
    await sql`insert into organisation (id, name) values (${org}::uuid, ${`org ${n}`})`.execute(db);
    await sql`insert into "group" (id, organisation_id, name, tokens_not_before) values (${group}::uuid, ${org}::uuid, ${`group ${n}`}, now() - interval '1 day')`.execute(db);
    await sql`insert into principal (id, organisation_id, group_id, name, kind, role, permissions)
      values (${owner}::uuid, ${org}::uuid, ${group}::uuid, ${`owner ${n}`}, 'technical', 'member', '{orders:read}')`.execute(db);
    for (const [id, parentId, kind] of [[parent, null, "personal"], [child, parent, "exchanged"]] as const) {
      await sql`insert into token (id, organisation_id, owner_id, name, level, kind, scopes, admin, created_by, digest, display_hint, parent_token_id)
        values (${id}::uuid, ${org}::uuid, ${owner}::uuid, ${`token ${id}`}, 'user', ${kind}, '{orders:read}', false, ${owner}::uuid,
          decode(md5(${id}) || md5(${id} || 'x'), 'hex'), 'tsr_pat_…', ${parentId}::uuid)`.execute(db);
    }
  }
}

const snapshot = async (db: Kysely<Database>, organisations?: readonly string[]) => {
  const replica = new Replica();
  replica.appliedSeq = await createFeedStore(db, undefined, undefined, { scope: organisationScope(organisations) }).readSnapshot(replica);
  return {
    organisations: [...replica.organisations.keys()].sort(),
    groups: [...replica.groups.keys()].sort(),
    principals: [...replica.principals.values()].map((p) => p.organisationId).sort(),
    tokens: [...replica.tokens()].map((t) => [t.organisationId, t.parent?.organisationId ?? ""]).sort(),
  };
};

// A partial replica's snapshot reads only its organisations' rows, on both engines.
describe.each(engines)("a feed store's snapshot on $name", ({ create }) => {
  let database: TestDatabase;
  beforeAll(async () => {
    database = await create();
    await fill(database.handle.db);
  });
  afterAll(() => database?.drop());

  it("reads every organisation by default, and only the ones asked for when partial", async () => {
    const db = database.handle.db;
    const a = "00000000-0000-4000-8000-0000000000a1";
    const b = "00000000-0000-4000-8000-0000000000b1";
    expect(await snapshot(db)).toMatchObject({ organisations: [orgA, orgB], groups: [a, b], principals: [orgA, orgB] });
    expect((await snapshot(db)).tokens).toHaveLength(4);
    expect(await snapshot(db, [orgA])).toEqual({ organisations: [orgA], groups: [a], principals: [orgA], tokens: [[orgA, ""], [orgA, orgA]] });
    expect((await snapshot(db, [orgB, orgA])).tokens).toHaveLength(4);
  });
});

// Past one chunk of an organisation's tokens, many created in the same microsecond (one statement):
// the walk through the organisation's index neither skips nor repeats a row.
describe("a partial snapshot over several chunks", () => {
  let database: TestDatabase;
  beforeAll(async () => {
    database = await engines[0]!.create();
  });
  afterAll(() => database?.drop());

  it("holds exactly the organisation's live tokens", async () => {
    const db = database.handle.db;
    await fillDatabase(db, 9_500, 50, 2);
    const served = benchOrganisationId(1);
    const { rows } = await sql<{ n: number }>`select count(*)::int4 as n from token where organisation_id = ${served}::uuid and deleted_at is null`.execute(db);
    expect(rows[0]!.n).toBeGreaterThan(4_000);
    const replica = new Replica();
    await createFeedStore(db, undefined, undefined, { scope: organisationScope([served]) }).readSnapshot(replica);
    const ids = [...replica.tokens()].map((token) => token.id);
    expect(new Set(ids).size).toBe(ids.length);
    expect(ids.length).toBe(rows[0]!.n);
    expect([...replica.tokens()].every((token) => token.organisationId === served)).toBe(true);
  });
});
