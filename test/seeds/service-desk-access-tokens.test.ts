import { Code } from "@connectrpc/connect";
import { toJsonString } from "@bufbuild/protobuf";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { GetTokenResponseSchema, ListTokensResponseSchema } from "@tessera/shared/gen/tessera/v1/admin_pb";
import { PrincipalKind } from "@tessera/shared/gen/tessera/v1/identity_pb";
import { ValidationCode } from "@tessera/shared/gen/tessera/v1/validator_pb";
import { eventually } from "../support/clients.js";
import { startDeployment, type Deployment } from "../support/deployment.js";

// Seed: a service desk's REST API "access tokens" screen.

describe("seed: service-desk access tokens", () => {
  let d: Deployment;
  let orgId: string;
  let agentId: string;

  beforeAll(async () => {
    d = await startDeployment();
    orgId = (await d.adminApi.createOrganisation({ name: "servicedesk", settings: { timeZone: "America/New_York" } })).organisation!.id;
    agentId = (await d.adminApi.createPrincipal({ organisationId: orgId, name: "agent", kind: PrincipalKind.HUMAN, permissions: ["tickets:read", "assets:read"] })).principal!.id;
  });
  afterAll(() => d?.close());

  const create = (extra: object = {}) => d.adminApi.createToken({ name: "desk", scopes: ["tickets:read"], ownerId: agentId, ...extra });

  it("a token is defined for one user and one API resource", async () => {
    const created = await create();
    await eventually(async () => (await d.validation.validate(created.tokenValue, "tickets:read")).valid, 2000);
    expect((await d.validation.validate(created.tokenValue, "tickets:read")).ownerId).toBe(agentId);
    expect((await d.validation.validate(created.tokenValue, "assets:read")).code).toBe(ValidationCode.INSUFFICIENT_SCOPE);
  });

  it("the value is shown only once", async () => {
    const created = await create();
    const suffix = created.tokenValue.slice(8);
    const shown = toJsonString(GetTokenResponseSchema, await d.adminApi.getToken({ tokenId: created.token!.id }));
    const listed = toJsonString(ListTokensResponseSchema, await d.adminApi.listTokens({ pageSize: 500 }));
    expect(shown).not.toContain(suffix);
    expect(listed).not.toContain(suffix);
    expect(shown).toContain(`…${created.tokenValue.slice(-4)}`);
  });

  it("revoke", async () => {
    const created = await create();
    await eventually(async () => (await d.validation.validate(created.tokenValue)).valid, 2000);
    const revoked = await d.adminApi.revokeToken({ tokenId: created.token!.id, awaitValidators: { seconds: 5n } });
    expect(revoked.token?.revokeTime).toBeDefined();
    expect(revoked.token?.revokedBy).toBe((await d.adminApi.getCaller({})).principal!.id);
    expect((await d.validation.validate(created.tokenValue)).code).toBe(ValidationCode.REVOKED);
  });

  it("expiry takes effect at midnight of the chosen date, in the organisation's time zone", async () => {
    const created = await create({ expiry: { kind: { case: "endOfDate", value: "2031-06-30" } } });
    // Midnight at the end of 30 June in New York (EDT, UTC−4) is 04:00 UTC on 1 July.
    const expected = Date.parse("2031-07-01T04:00:00Z") / 1000;
    expect(Number(created.token!.expireTime!.seconds)).toBe(expected);
    await eventually(async () => (await d.validation.validate(created.tokenValue)).valid, 2000);
    expect(Number((await d.validation.validate(created.tokenValue)).expireTime!.seconds)).toBe(expected);
  });

  it("a token stops at its expiry instant, without any write", async () => {
    const soon = { seconds: BigInt(Math.floor(Date.now() / 1000) + 2), nanos: 0 };
    const created = await create({ expiry: { kind: { case: "at", value: soon } } });
    await eventually(async () => (await d.validation.validate(created.tokenValue)).valid, 2000);
    await eventually(async () => (await d.validation.validate(created.tokenValue)).code === ValidationCode.EXPIRED, 5000, 100);
  });

  it("no expiry date means unlimited validity when policy allows, and is refused when it does not", async () => {
    const unlimited = await create({ expiry: { kind: { case: "never", value: true } } });
    expect(unlimited.token?.expireTime).toBeUndefined();
    await eventually(async () => (await d.validation.validate(unlimited.tokenValue)).valid, 2000);
    await d.adminApi.updateOrganisation({ organisationId: orgId, settings: { allowNoExpiry: false, defaultExpiry: { kind: { case: "after", value: { seconds: 86_400n, nanos: 0 } } } } });
    await expect(create({ expiry: { kind: { case: "never", value: true } } })).rejects.toMatchObject({ code: Code.InvalidArgument, rawMessage: expect.stringMatching(/^expiry\.never:/) });
    await d.adminApi.updateOrganisation({ organisationId: orgId, settings: { allowNoExpiry: true, defaultExpiry: { kind: { case: "none", value: true } } } });
  });

  it("shows the date of last use", async () => {
    const created = await create();
    expect(created.token?.lastUsedTime).toBeUndefined();
    await eventually(async () => (await d.validation.validate(created.tokenValue, "tickets:read")).valid, 2000);
    await eventually(async () => (await d.adminApi.getToken({ tokenId: created.token!.id })).token?.lastUsedTime !== undefined, 5000, 50);
    const token = (await d.adminApi.getToken({ tokenId: created.token!.id })).token!;
    expect(Math.abs(Number(token.lastUsedTime!.seconds) * 1000 - Date.now())).toBeLessThan(10_000);
    expect(token.lastUsedSource).toBe("grpc");
  });
});
