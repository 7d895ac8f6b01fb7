import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { sql } from "kysely";
import { bootstrapAdmin, testAdminDeps } from "@tessera/test-support/admin-deps";
import { engines, type TestDatabase } from "@tessera/test-support/test-database";
import { insertGroup } from "../../store/group-store.js";
import { insertOrganisation } from "../../store/organisation-store.js";
import { insertPrincipal } from "../../store/principal-store.js";
import { insertToken } from "../../store/token-store.js";
import type { AdminDeps } from "../admin-deps.js";
import type { Caller } from "../access/caller.js";
import { listAuditEvents } from "../audit/list-audit-events.js";
import { listGroups } from "../identities/list-groups.js";
import { listOrganisations } from "../identities/list-organisations.js";
import { listPrincipals } from "../identities/list-principals.js";
import { listTokens } from "../tokens/list-tokens.js";
import type { Page, PageRequest } from "./page.js";
import { decodePageToken, encodePageToken } from "./page-token.js";

// Postgres keeps microseconds; JavaScript's Date milliseconds. Rows made a few
// microseconds apart within one millisecond, and rows made at the very same
// microsecond, must each come exactly once when paged one at a time.
const base = "2026-06-01T10:00:00.000";
const stamps = [`${base}001Z`, `${base}002Z`, `${base}002Z`, `${base}003Z`, `${base}007Z`, `${base}999Z`, "2026-06-01T10:00:00.001Z"];

/** Every item of a list, asking for pages of one. */
async function pageByPage<T>(list: (page: PageRequest) => Promise<Page<T>>): Promise<T[]> {
  const items: T[] = [];
  let pageToken = "";
  for (let pages = 0; pages < 100; pages++) {
    const page = await list({ pageSize: 1, pageToken });
    items.push(...page.items);
    pageToken = page.nextPageToken;
    if (pageToken === "") return items;
  }
  throw new Error("paging did not end");
}

for (const engine of engines) {
  describe(`paging on ${engine.name}`, () => {
    let database: TestDatabase;
    let deps: AdminDeps;
    let admin: Caller;
    let organisationId: string;

    // One database for the four: each compares with everything its tables hold.
    beforeAll(async () => {
      database = await engine.create();
      deps = await testAdminDeps(database.handle.db);
      admin = (await bootstrapAdmin(deps)).caller;
      organisationId = admin.organisationId;
    });
    afterAll(() => database.drop());

    /** Ids of `table`'s rows as the database orders them, newest first. */
    const newestFirst = async (table: "token" | "principal" | "group" | "organisation") =>
      (await sql<{ id: string }>`select id from ${sql.table(table)} order by created_at desc, id desc`.execute(deps.db)).rows.map((r) => r.id);

    it("pages tokens made microseconds apart one at a time, each once, newest first", async () => {
      await deps.db.transaction().execute(async (trx) => {
        for (const [i, stamp] of stamps.entries()) {
          await insertToken(trx, {
            organisation_id: organisationId, owner_id: admin.principalId, group_id: null, name: `t${i}`, level: "user", kind: "personal",
            scopes: [], admin: false, created_by: admin.principalId, created_at: stamp, expires_at: null,
            digest: Buffer.alloc(32, i + 1), display_hint: "tsr_pat_…", parent_token_id: null,
          });
        }
      });
      const paged = await pageByPage((page) => listTokens(deps, admin, page));
      expect(paged.map((t) => t.id)).toEqual(await newestFirst("token"));
      expect(paged.length).toBe(stamps.length + 1); // and the admin's own
    });

    it("pages organisations, groups and principals made microseconds apart one at a time", async () => {
      await deps.db.transaction().execute(async (trx) => {
        for (const [i, stamp] of stamps.entries()) {
          await insertOrganisation(trx, { name: `o${i}`, created_at: stamp });
          await insertGroup(trx, { organisation_id: organisationId, name: `g${i}`, created_at: stamp });
          await insertPrincipal(trx, {
            organisation_id: organisationId, group_id: null, name: `p${i}`, kind: "technical", role: "member", permissions: [],
            password_hash: null, disabled_at: null, created_by: null, created_at: stamp,
          });
        }
      });
      expect((await pageByPage((page) => listOrganisations(deps, admin, page))).map((o) => o.id)).toEqual(await newestFirst("organisation"));
      expect((await pageByPage((page) => listGroups(deps, admin, organisationId, page))).map((g) => g.id)).toEqual(await newestFirst("group"));
      const principals = await pageByPage((page) => listPrincipals(deps, admin, { ...page, organisationId, groupId: undefined, kind: undefined }));
      expect(principals.map((p) => p.id)).toEqual(await newestFirst("principal"));
    });

    it("pages audit events written microseconds apart one at a time", async () => {
      // at arrives as text so its microseconds survive; every other column as the store writes it.
      await deps.db
        .insertInto("audit_log")
        .values(stamps.map((at, i) => ({ at, action: `test.${i}`, actor_id: admin.principalId, actor_token_id: null, organisation_id: organisationId, source: "test", details: "{}" })))
        .execute();
      const paged = await pageByPage((page) => listAuditEvents(deps, admin, page));
      const expected = await sql<{ id: string }>`select id from audit_log order by at desc, id desc`.execute(deps.db);
      expect(paged.map((e) => String(e.id))).toEqual(expected.rows.map((r) => String(r.id)));
      // The member's view is a merge of two index walks: it pages the same way.
      const mine = await pageByPage((page) => listAuditEvents(deps, { ...admin, role: "member" }, page));
      expect(mine.map((e) => String(e.id))).toEqual(expected.rows.map((r) => String(r.id)));
    });

    it("refuses a page token made for another list, or not made here", async () => {
      const audit = encodePageToken("audit", "12");
      await expect(listTokens(deps, admin, { pageSize: 5, pageToken: audit })).rejects.toThrow(/page_token/);
      await expect(listTokens(deps, admin, { pageSize: 5, pageToken: "bm9wZQ" })).rejects.toThrow(/page_token/);
      expect(() => decodePageToken("audit", encodePageToken("audit", "99999999999999999999"))).toThrow(/page_token/);
      expect(decodePageToken("audit", audit)).toBe("12");
    });
  });
}
