import { sql } from "kysely";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { eventually } from "../support/clients.js";
import { startDeployment, type Deployment } from "../support/deployment.js";

describe("last use", () => {
  let d: Deployment;
  beforeAll(async () => {
    d = await startDeployment();
    // Count UPDATE statements on token in this test's own database.
    await sql`create table token_update_statements (n bigint not null)`.execute(d.database.handle.db);
    await sql`insert into token_update_statements values (0)`.execute(d.database.handle.db);
    await sql`create function count_token_updates() returns trigger language plpgsql as $$ begin update token_update_statements set n = n + 1; return null; end $$`.execute(d.database.handle.db);
    await sql`create trigger count_token_updates after update on token for each statement execute function count_token_updates()`.execute(d.database.handle.db);
  });
  afterAll(() => d?.close());

  const updates = async () => Number((await sql<{ n: string }>`select n from token_update_statements`.execute(d.database.handle.db)).rows[0]!.n);

  it("is recorded from validations, newest wins, and written back in batches — never a write per validation", async () => {
    const tokens = await Promise.all([1, 2, 3].map((i) => d.adminApi.createToken({ name: `used ${i}`, scopes: [] })));
    await eventually(async () => (await d.validation.validate(tokens[2]!.tokenValue)).valid, 2000);
    const before = await updates();
    for (let round = 0; round < 100; round++) {
      for (const t of tokens) await d.validation.validate(t.tokenValue);
    }
    await eventually(async () => {
      const shown = await Promise.all(tokens.map(async (t) => (await d.adminApi.getToken({ tokenId: t.token!.id })).token!.lastUsedTime));
      return shown.every((time) => time !== undefined);
    }, 5000, 50);
    // 300 validations of 3 tokens cost a handful of batched statements (one per flush), not 300 writes.
    const statements = (await updates()) - before;
    expect(statements).toBeGreaterThan(0);
    expect(statements).toBeLessThan(20);
  });

  it("does not count refused tokens as used", async () => {
    const created = await d.adminApi.createToken({ name: "refused", scopes: [] });
    const control = await d.adminApi.createToken({ name: "used after the refusals", scopes: [] });
    await d.adminApi.revokeToken({ tokenId: created.token!.id, awaitValidators: { seconds: 5n } });
    for (let i = 0; i < 5; i++) expect((await d.validation.validate(created.tokenValue)).valid).toBe(false);
    expect((await d.validation.validate(control.tokenValue)).valid).toBe(true);
    // The control's use was recorded after the refusals: once it is written back, any use of the
    // refused token recorded before it would have been written back too.
    await eventually(async () => (await d.adminApi.getToken({ tokenId: control.token!.id })).token!.lastUsedTime !== undefined, 5000, 50);
    expect((await d.adminApi.getToken({ tokenId: created.token!.id })).token!.lastUsedTime).toBeUndefined();
  });
});
