import { sql } from "kysely";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { bootstrapAdmin, testAdminDeps } from "@tessera/test-support/admin-deps";
import { engines, type TestDatabase } from "@tessera/test-support/test-database";
import { writeTokenAsFirstRelease, type TokenOwner } from "@tessera/test-support/upgrade-writes";
import type { AdminDeps } from "../domain/admin-deps.js";
import type { Caller } from "../domain/access/caller.js";
import { listAuditEvents } from "../domain/audit/list-audit-events.js";
import { createPrincipal } from "../domain/identities/create-principal.js";
import { updatePrincipal } from "../domain/identities/update-principal.js";
import { createToken } from "../domain/tokens/create-token.js";
import { listTokens } from "../domain/tokens/list-tokens.js";
import { migrateToLatest } from "./migrate.js";
import * as incidentUsageRotation from "./migrations/2026-12-02-incident-usage-rotation.js";

const personal = { expiry: undefined, level: "user", groupId: undefined, organisationId: undefined, admin: false } as const;

for (const engine of engines) {
  describe(`the console-indexes migration on ${engine.name}`, () => {
    let database: TestDatabase;
    let deps: AdminDeps;
    let admin: Caller;
    let groups: { red: string; blue: string };
    let ann: string;
    let annToken: string;

    // A store written by the first schema, then brought up to date: rows from
    // before the group columns existed must get their groups.
    beforeAll(async () => {
      database = await engine.create({ migrate: false });
      await migrateToLatest(database.handle.db, "2026-11-23-initial");
      deps = await testAdminDeps(database.handle.db);
      admin = (await bootstrapAdmin(deps)).caller;
      const group = (name: string) => sql<{ id: string }>`insert into "group" (organisation_id, name) values (${admin.organisationId}, ${name}) returning id`.execute(deps.db);
      groups = { red: (await group("red")).rows[0]!.id, blue: (await group("blue")).rows[0]!.id };
      ann = (await sql<{ id: string }>`insert into principal (organisation_id, group_id, name, kind, role) values (${admin.organisationId}, ${groups.red}, 'ann', 'human', 'member') returning id`.execute(deps.db)).rows[0]!.id;
      annToken = (await sql<{ id: string }>`insert into token (organisation_id, owner_id, group_id, name, level, kind, scopes, created_by, digest, display_hint)
        values (${admin.organisationId}, ${ann}, ${groups.red}, 'old', 'user', 'personal', '{}', ${admin.principalId}, '\\x01', 'tsr_pat_…') returning id`.execute(deps.db)).rows[0]!.id;
      await sql`insert into audit_log (action, actor_id, organisation_id, token_id, principal_id) values ('token.create', ${admin.principalId}, ${admin.organisationId}, ${annToken}, ${ann})`.execute(deps.db);
      await migrateToLatest(deps.db);
    });
    afterAll(() => database.drop());

    const groupAdmin = (groupId: string): Caller => ({ ...admin, principalId: admin.principalId, role: "group_admin", groupId });
    const tokensOf = async (caller: Caller) => (await listTokens(deps, caller, { pageSize: 50, pageToken: "" })).items.map((t) => t.name).sort();
    const auditOf = async (caller: Caller) => (await listAuditEvents(deps, caller, { pageSize: 50, pageToken: "" })).items.map((e) => e.action).sort();

    it("gives rows written before it their principal's group, and builds every index valid", async () => {
      expect(await tokensOf(groupAdmin(groups.red))).toEqual(["old"]);
      expect(await auditOf(groupAdmin(groups.red))).toEqual(["token.create"]);
      expect(await tokensOf(groupAdmin(groups.blue))).toEqual([]);
      const invalid = await sql`select indexrelid::regclass from pg_index where not indisvalid`.execute(deps.db);
      expect(invalid.rows).toEqual([]);
      const names = (await sql<{ name: string }>`select indexname as name from pg_indexes where tablename in ('token', 'audit_log')`.execute(deps.db)).rows.map((r) => r.name);
      // The last two built concurrently by a later migration than the one that first made them (2026-12-05).
      expect(names).toEqual(expect.arrayContaining(["token_newest", "token_owner_group_newest", "audit_log_subject_newest", "audit_log_group_newest", "token_honeytoken_idx", "token_rotation_pending"]));
      expect(names).not.toContain("token_owner");
      // Both engines here have pg_trgm (PGlite is opened with it).
      expect(names).toContain("token_name_trgm");
    });

    it("keeps a principal's group on its new tokens and audit rows, and moves them with it", async () => {
      const bob = (await createPrincipal(deps, admin, { organisationId: undefined, groupId: groups.red, name: "bob", kind: "technical", role: "member", permissions: ["a:read"], password: undefined })).id;
      await createToken(deps, admin, { ...personal, ownerId: bob, name: "bob's", scopes: ["a:read"] });
      expect(await tokensOf(groupAdmin(groups.red))).toEqual(["bob's", "old"]);
      await updatePrincipal(deps, admin, bob, { groupId: groups.blue });
      expect(await tokensOf(groupAdmin(groups.red))).toEqual(["old"]);
      expect(await tokensOf(groupAdmin(groups.blue))).toEqual(["bob's"]);
      expect(await auditOf(groupAdmin(groups.blue))).toEqual(["principal.create", "principal.update", "token.create"]);
      await updatePrincipal(deps, admin, bob, { groupId: null });
      expect(await tokensOf(groupAdmin(groups.blue))).toEqual([]);
      expect(await auditOf(groupAdmin(groups.blue))).toEqual([]);
    });

    it("can run again: a second run changes nothing", async () => {
      await sql`delete from kysely_migration where name >= '2026-12-01-console-indexes'`.execute(deps.db);
      await migrateToLatest(deps.db);
      expect(await tokensOf(groupAdmin(groups.red))).toEqual(["old"]);
    });
  });
}

describe("the console-indexes migration on postgres, after a failed concurrent build", () => {
  let database: TestDatabase;
  beforeAll(async () => {
    database = await engines[0].create();
  });
  afterAll(() => database.drop());

  it("drops an index a failed concurrent build left invalid and builds it again", async () => {
    const { db } = database.handle;
    // What CREATE INDEX CONCURRENTLY leaves behind when it fails half-way.
    await sql`update pg_index set indisvalid = false where indexrelid = 'token_newest'::regclass`.execute(db);
    await sql`delete from kysely_migration where name >= '2026-12-01-console-indexes'`.execute(db);
    await migrateToLatest(db);
    const valid = await sql<{ valid: boolean }>`select indisvalid as valid from pg_index where indexrelid = 'token_newest'::regclass`.execute(db);
    expect(valid.rows[0]?.valid).toBe(true);
  });
});

describe("a migration's exclusive locks on postgres, while tokens are written", () => {
  let database: TestDatabase;
  beforeAll(async () => {
    database = await engines[0].create();
  });
  afterAll(() => database.drop());

  // Each migration that alters several tables writes take locks on must take
  // them in the writes' order (the owner's principal first), or a write holding
  // its owner waits on a table the migration holds while the migration waits on
  // the owner's: Postgres breaks that only after deadlock_timeout (1 s), a
  // second every write and the migration stand still. Run here again and again
  // (safe: it is idempotent, and takes its locks even when nothing is left to do).
  it("waits for writes in flight rather than deadlocking with them (counted over 25 runs, 3 writers)", async () => {
    const { db } = database.handle;
    const deps = await testAdminDeps(db);
    const admin = (await bootstrapAdmin(deps)).caller;
    const owners: TokenOwner[] = [];
    for (let i = 0; i < 12; i++) {
      const { rows } = await sql<TokenOwner>`insert into principal (organisation_id, name, kind, role) values (${admin.organisationId}, ${`writer ${i}`}, 'technical', 'member') returning id, organisation_id`.execute(db);
      owners.push(rows[0]!);
    }
    const isDeadlock = (err: unknown) => (err as { code?: string }).code === "40P01";
    const deadlocks = { writes: 0, migration: 0 };
    let writes = 0;
    let migrating = true;
    const writer = async (first: number) => {
      for (let i = first; migrating; i++) {
        try {
          await writeTokenAsFirstRelease(db, owners[i % owners.length]!, admin.principalId);
          writes++;
        } catch (err) {
          if (!isDeadlock(err)) throw err;
          deadlocks.writes++;
        }
      }
    };
    const writers = [writer(0), writer(4), writer(8)];
    try {
      for (let run = 0; run < 25; run++) {
        try {
          await db.transaction().execute((trx) => incidentUsageRotation.up(trx));
        } catch (err) {
          if (!isDeadlock(err)) throw err;
          deadlocks.migration++;
        }
      }
    } finally {
      migrating = false;
      await Promise.all(writers);
    }
    expect(writes).toBeGreaterThan(25);
    expect(deadlocks).toEqual({ writes: 0, migration: 0 });
  });
});
