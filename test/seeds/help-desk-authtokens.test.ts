import { Code } from "@connectrpc/connect";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { PrincipalKind, Role } from "@tessera/shared/gen/tessera/v1/identity_pb";
import { TokenStatus } from "@tessera/shared/gen/tessera/v1/token_pb";
import { ValidationCode } from "@tessera/shared/gen/tessera/v1/validator_pb";
import { eventually, type AdminClient } from "../support/clients.js";
import { startDeployment, type Deployment } from "../support/deployment.js";

// Seed: a directory-management help desk's "authtokens" screen.

describe("seed: help-desk authtokens", () => {
  let d: Deployment;
  let orgId: string;
  let technician: { id: string; client: AdminClient };
  let colleague: { id: string };
  const delegated = ["ad:reset-password", "ad:unlock-account"];

  beforeAll(async () => {
    d = await startDeployment();
    orgId = (await d.adminApi.createOrganisation({ name: "helpdesk" })).organisation!.id;
    const tech = (await d.adminApi.createPrincipal({ organisationId: orgId, name: "tina", kind: PrincipalKind.HUMAN, role: Role.MEMBER, permissions: delegated, password: "correct horse battery" })).principal!;
    colleague = (await d.adminApi.createPrincipal({ organisationId: orgId, name: "tom", kind: PrincipalKind.HUMAN, permissions: delegated })).principal!;
    const session = await d.as(undefined).signIn({ organisation: "helpdesk", userName: "tina", password: "correct horse battery" });
    technician = { id: tech.id, client: d.as(session.sessionToken) };
  });
  afterAll(() => d?.close());

  it("a technician generates tokens for self", async () => {
    const created = await technician.client.createToken({ name: "my script", scopes: ["ad:unlock-account"] });
    expect(created.token).toMatchObject({ ownerId: technician.id, createdBy: technician.id, status: TokenStatus.ACTIVE });
    await eventually(async () => (await d.validation.validate(created.tokenValue, "ad:unlock-account")).valid, 2000);
  });

  it("the built-in admin generates tokens for any technician, and the record says who generated it", async () => {
    const adminId = (await d.adminApi.getCaller({})).principal!.id;
    const created = await d.adminApi.createToken({ name: "for tom", scopes: ["ad:reset-password"], ownerId: colleague.id });
    expect(created.token).toMatchObject({ ownerId: colleague.id, createdBy: adminId });
    expect((await d.adminApi.getToken({ tokenId: created.token!.id })).token?.createdBy).toBe(adminId);
  });

  it("a technician cannot generate tokens for someone else", async () => {
    await expect(technician.client.createToken({ name: "x", scopes: [], ownerId: colleague.id })).rejects.toMatchObject({ code: Code.NotFound });
  });

  it("the built-in admin sees all active tokens of everyone", async () => {
    const mine = await technician.client.createToken({ name: "active", scopes: [] });
    const gone = await technician.client.createToken({ name: "soon revoked", scopes: [] });
    await technician.client.revokeToken({ tokenId: gone.token!.id });
    const active = (await d.adminApi.listTokens({ status: TokenStatus.ACTIVE, organisationId: orgId, pageSize: 500 })).tokens;
    expect(active.map((t) => t.id)).toContain(mine.token!.id);
    expect(active.map((t) => t.id)).not.toContain(gone.token!.id);
    expect(new Set(active.map((t) => t.ownerId))).toEqual(new Set([technician.id, colleague.id]));
    expect(active.every((t) => t.status === TokenStatus.ACTIVE)).toBe(true);
  });

  it("scope is limited to the technician's delegated actions", async () => {
    await expect(technician.client.createToken({ name: "too much", scopes: ["ad:delete-user"] })).rejects.toMatchObject({ code: Code.InvalidArgument, rawMessage: expect.stringMatching(/^scopes\[0\]:/) });
  });

  it("expiry in minutes, hours, days or a custom date", async () => {
    const before = Date.now();
    const after = async (amount: number, unit: number) =>
      Number((await technician.client.createToken({ name: "e", scopes: [], expiry: { kind: { case: "after", value: { amount, unit } } } })).token!.expireTime!.seconds) * 1000 - before;
    const minute = 60_000;
    expect(await after(30, 1)).toBeGreaterThanOrEqual(30 * minute - 1000);
    expect(await after(30, 1)).toBeLessThanOrEqual(30 * minute + 5000);
    expect(Math.round((await after(8, 2)) / minute)).toBe(8 * 60);
    expect(Math.round((await after(7, 3)) / minute)).toBe(7 * 24 * 60);
    const custom = await technician.client.createToken({ name: "e", scopes: [], expiry: { kind: { case: "endOfDate", value: "2031-12-31" } } });
    expect(new Date(Number(custom.token!.expireTime!.seconds) * 1000).toISOString()).toBe("2032-01-01T00:00:00.000Z");
  });

  it("select many and delete them at once — all or nothing, and gone from validation", async () => {
    const made = await Promise.all([1, 2, 3].map((i) => technician.client.createToken({ name: `bulk ${i}`, scopes: ["ad:unlock-account"] })));
    const ids = made.map((m) => m.token!.id);
    await eventually(async () => (await d.validation.validate(made[2]!.tokenValue)).valid, 2000);
    const someoneElses = (await d.adminApi.createToken({ name: "tom's", scopes: [], ownerId: colleague.id })).token!.id;
    // One id the technician may not touch: nothing is deleted.
    await expect(technician.client.deleteTokens({ tokenIds: [...ids, someoneElses] })).rejects.toMatchObject({ code: Code.NotFound });
    expect((await technician.client.listTokens({ pageSize: 500 })).tokens.filter((t) => ids.includes(t.id))).toHaveLength(3);
    const deleted = await technician.client.deleteTokens({ tokenIds: ids, awaitValidators: { seconds: 5n } });
    expect(deleted.deletedCount).toBe(3);
    expect(deleted.acknowledgement?.complete).toBe(true);
    expect((await technician.client.listTokens({ pageSize: 500 })).tokens.filter((t) => ids.includes(t.id))).toHaveLength(0);
    for (const m of made) expect((await d.validation.validate(m.tokenValue)).code).toBe(ValidationCode.NOT_FOUND);
  });

  it("each use checks that the owner still holds the permission", async () => {
    const created = await d.adminApi.createToken({ name: "unlocker", scopes: ["ad:unlock-account", "ad:reset-password"], ownerId: colleague.id });
    await eventually(async () => (await d.validation.validate(created.tokenValue, "ad:reset-password")).valid, 2000);
    await d.adminApi.updatePrincipal({ principalId: colleague.id, permissions: { scopes: ["ad:unlock-account"] }, awaitValidators: { seconds: 5n } });
    const narrowed = await d.validation.validate(created.tokenValue, "ad:reset-password");
    expect(narrowed.code).toBe(ValidationCode.INSUFFICIENT_SCOPE);
    expect(narrowed.scopes).toEqual(["ad:unlock-account"]);
    expect((await d.validation.validate(created.tokenValue, "ad:unlock-account")).valid).toBe(true);
    // The token's own record did not change: the owner's permission is checked at each use.
    expect((await d.adminApi.getToken({ tokenId: created.token!.id })).token?.scopes).toEqual(["ad:unlock-account", "ad:reset-password"]);
  });
});
