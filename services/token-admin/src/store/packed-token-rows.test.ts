import { sql, type Kysely, type RawBuilder } from "kysely";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Database } from "@tessera/shared/db/schema";
import { readDatabaseSnapshot } from "@tessera/shared/snapshot/database-snapshot";
import { packedToken, packedTokenLength } from "@tessera/shared/snapshot/packed-token-layout";
import { packedTokenRow } from "@tessera/shared/snapshot/packed-token-sql";
import { engines, type TestDatabase } from "@tessera/test-support/test-database";
import { migrateToLatest } from "./migrate.js";

// The packed-token-rows migration, on both engines: the stored row is what packing
// at read time gives, after every kind of write, and snapshots read the same tokens
// as before it.

const org = { a: "a0000000-0000-4000-8000-00000000000a", b: "a0000000-0000-4000-8000-00000000000b" };
const owner = { a: "c0000000-0000-4000-8000-00000000000a", b: "c0000000-0000-4000-8000-00000000000b" };
const group = "b0000000-0000-4000-8000-00000000000a";
const parent = "d0000000-0000-4000-8000-000000000001";
const child = "d0000000-0000-4000-8000-000000000002";

/** Packing at read time, as 2026-12-04's functions do. */
const packedNow = packedTokenRow(sql`null::bytea`);

interface TokenOptions {
  organisation?: string; owner?: string; groupId?: string; level?: string; kind?: string; scopes?: string; admin?: boolean; honeytoken?: boolean;
  parentId?: string; expires?: string; revoked?: string; disabled?: boolean; deleted?: boolean; previous?: boolean;
}

let serial = 0;
/** Inserts a token; times are intervals from now ("-1 hour"). */
async function insertToken(db: Kysely<Database>, id: string, o: TokenOptions = {}): Promise<void> {
  const at = (interval: string | undefined) => (interval === undefined ? null : sql`now() + ${interval}::interval`);
  const digest = sql`decode(md5(${id} || ${serial++}) || md5(${id}), 'hex')`;
  await sql`insert into token (id, organisation_id, owner_id, group_id, name, level, kind, scopes, admin, honeytoken, created_by, digest, display_hint,
      parent_token_id, expires_at, revoked_at, disabled_at, deleted_at, previous_digest, previous_digest_expires_at)
    values (${id}, ${o.organisation ?? org.a}, ${o.owner ?? owner.a}, ${o.groupId ?? null}, ${id}, ${o.level ?? "user"}, ${o.kind ?? "personal"},
      ${o.scopes ?? "{orders:read}"}::text[], ${o.admin ?? false}, ${o.honeytoken ?? false}, ${owner.a}, ${digest}, 'x',
      ${o.parentId ?? null}, ${at(o.expires)}, ${at(o.revoked)}, ${o.disabled ? sql`now()` : null}, ${o.deleted ? sql`now()` : null},
      ${o.previous ? sql`decode(md5('previous' || ${id}) || md5(${id}), 'hex')` : null}, ${o.previous ? sql`now() + interval '1 day'` : null})`.execute(db);
}

const tokenId = (n: number) => `d0000000-0000-4000-8000-${n.toString(16).padStart(12, "0")}`;

/** The tokens of a snapshot, each whole, in the order read. */
async function snapshotTokens(db: Kysely<Database>, organisations?: string[]): Promise<Buffer[]> {
  const tokens: Buffer[] = [];
  await readDatabaseSnapshot(db, { cutoff: new Date(Date.now() - 3600_000), organisations }, {
    record: () => {},
    tokens(chunk) {
      for (let at = 0, length; at < chunk.length; at += length) tokens.push(Buffer.from(chunk.subarray(at, at + (length = packedTokenLength(chunk, at)!))));
    },
  });
  return tokens;
}

const idOf = (packed: Buffer) => packed.subarray(packedToken.id, packedToken.id + packedToken.uuidBytes).toString("hex");
/** The parent digest a packed token carries (empty when none). */
function parentDigestOf(packed: Buffer): Buffer {
  const at = packedToken.variable + 1 + packed[packedToken.variable]!;
  return packed.subarray(at + 1, at + 1 + packed[at]!);
}

/** Tokens whose stored row is not what packing now gives (null for one with a parent). */
async function stalePackedRows(db: Kysely<Database>): Promise<string[]> {
  const { rows } = await sql<{ id: string }>`select id from token
    where packed_row is distinct from (case when parent_token_id is null then ${packedNow} end) order by id`.execute(db);
  return rows.map((r) => r.id);
}

for (const engine of engines) {
  describe(`the packed-token-rows migration on ${engine.name}`, () => {
    let database: TestDatabase;
    let db: Kysely<Database>;
    let before: { all: Buffer[]; orgA: Buffer[] };

    // Tokens of every shape, written before the migration: it must pack them all.
    beforeAll(async () => {
      database = await engine.create({ migrate: false });
      db = database.handle.db;
      await migrateToLatest(db, "2026-12-04-snapshot-functions");
      await sql`insert into organisation (id, name) values (${org.a}, 'a'), (${org.b}, 'b')`.execute(db);
      await sql`insert into "group" (id, organisation_id, name) values (${group}, ${org.a}, 'g')`.execute(db);
      await sql`insert into principal (id, organisation_id, name, kind, role) values (${owner.a}, ${org.a}, 'a', 'human', 'member'), (${owner.b}, ${org.b}, 'b', 'human', 'member')`.execute(db);
      await insertToken(db, parent, { scopes: "{orders:read,orders:write}" });
      await insertToken(db, child, { parentId: parent, kind: "exchanged", expires: "1 hour" });
      const shapes: TokenOptions[] = [
        { groupId: group, level: "group", admin: true }, { level: "org", scopes: "{}" }, { kind: "session", expires: "2 hours" },
        { honeytoken: true }, { revoked: "-10 minutes" }, { revoked: "-2 hours" }, { disabled: true }, { deleted: true },
        { expires: "-2 hours" }, { previous: true }, { organisation: org.b, owner: owner.b },
      ];
      for (const [i, shape] of shapes.entries()) await insertToken(db, tokenId(0x10 + i), shape);
      await sql`update token set name = 'moved' where id = ${parent}`.execute(db); // a newer row version, later in the heap
      before = { all: await snapshotTokens(db), orgA: await snapshotTokens(db, [org.a]) };
      await migrateToLatest(db);
    });
    afterAll(() => database.drop());

    it("packs the rows written before it, and leaves exchanged tokens to be packed when read", async () => {
      expect(await stalePackedRows(db)).toEqual([]);
      const { rows } = await sql<{ id: string }>`select id from token where packed_row is null`.execute(db);
      expect(rows.map((r) => r.id)).toEqual([child]);
    });

    it("gives snapshots the same tokens as before it: every one alike, children after their parents, an organisation's newest first", async () => {
      const all = await snapshotTokens(db);
      expect([...all].sort(Buffer.compare)).toEqual([...before.all].sort(Buffer.compare));
      expect(all.at(-1)).toEqual(before.all.at(-1)); // the one child, last
      expect(await snapshotTokens(db, [org.a])).toEqual(before.orgA);
      expect(await snapshotTokens(db, [])).toEqual([]);
    });

    it("keeps the stored row up to date through a token's life", async () => {
      const id = tokenId(0x100);
      const steps: [string, RawBuilder<unknown>][] = [
        ["expiry", sql`update token set expires_at = now() + interval '3 days' where id = ${id}`],
        ["scopes", sql`update token set scopes = '{orders:read,billing:read}' where id = ${id}`],
        ["regenerate", sql`update token set previous_digest = digest, previous_digest_expires_at = now() + interval '1 hour', digest = decode(md5('new') || md5('new'), 'hex'), regenerated_at = now() where id = ${id}`],
        ["disable", sql`update token set disabled_at = now() where id = ${id}`],
        ["enable", sql`update token set disabled_at = null where id = ${id}`],
        ["revoke", sql`update token set revoked_at = now(), revoked_by = owner_id, revocation_reason = 'manual' where id = ${id}`],
      ];
      await insertToken(db, id);
      expect(await stalePackedRows(db), "insert").toEqual([]);
      for (const [name, step] of steps) {
        const stored = await sql<{ packed_row: Buffer }>`select packed_row from token where id = ${id}`.execute(db);
        await step.execute(db);
        const after = await sql<{ packed_row: Buffer }>`select packed_row from token where id = ${id}`.execute(db);
        expect(after.rows[0]!.packed_row, name).not.toEqual(stored.rows[0]!.packed_row);
        expect(await stalePackedRows(db), name).toEqual([]);
      }
    });

    it("does not repack on writes to columns the row does not read (last-used bookkeeping)", async () => {
      const id = tokenId(0x101);
      await insertToken(db, id);
      // A marker the trigger would overwrite, were it to fire.
      await sql`update token set packed_row = '\\x00' where id = ${id}`.execute(db);
      await sql`update token set last_used_at = now(), last_used_source = 'test', name = 'renamed' where id = ${id}`.execute(db);
      expect(await stalePackedRows(db)).toEqual([id]);
      await sql`update token set digest = digest where id = ${id}`.execute(db);
      expect(await stalePackedRows(db)).toEqual([]);
    });

    it("packs an exchanged token with its parent's digest of the moment the snapshot is read", async () => {
      await sql`update token set previous_digest = digest, previous_digest_expires_at = now() + interval '1 hour', digest = decode(md5('parent') || md5('again'), 'hex') where id = ${parent}`.execute(db);
      const packedChild = (await snapshotTokens(db)).find((packed) => idOf(packed) === child.replaceAll("-", ""))!;
      const { digest } = await db.selectFrom("token").select("digest").where("id", "=", parent).executeTakeFirstOrThrow();
      expect(parentDigestOf(packedChild).toString("hex")).toBe(Buffer.from(digest).toString("hex"));
      expect(await stalePackedRows(db)).toEqual([]);
    });
  });
}
