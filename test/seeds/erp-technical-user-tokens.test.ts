import { toJsonString } from "@bufbuild/protobuf";
import { Code } from "@connectrpc/connect";
import { GetTokenResponseSchema } from "@tessera/shared/gen/tessera/v1/admin_pb";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { PrincipalKind } from "@tessera/shared/gen/tessera/v1/identity_pb";
import { TokenStatus } from "@tessera/shared/gen/tessera/v1/token_pb";
import { ValidationCode } from "@tessera/shared/gen/tessera/v1/validator_pb";
import { endOfDate } from "@tessera/token-admin/domain/tokens/expiry";
import { DateTime } from "luxon";
import { eventually } from "../support/clients.js";
import { startDeployment, type Deployment } from "../support/deployment.js";

// Seed: an ERP system's API tokens for technical users.

describe("seed: ERP technical-user API tokens", () => {
  let d: Deployment;
  let orgId: string;
  let service: string;
  const zone = "Europe/Zurich";

  beforeAll(async () => {
    d = await startDeployment();
    orgId = (
      await d.adminApi.createOrganisation({
        name: "erp",
        settings: { apiTokensEnabled: false, technicalUsersOnly: true, timeZone: zone, defaultExpiry: { kind: { case: "endOfToday", value: true } } },
      })
    ).organisation!.id;
    service = (await d.adminApi.createPrincipal({ organisationId: orgId, name: "sap-connector", kind: PrincipalKind.TECHNICAL, permissions: ["ledger:read"] })).principal!.id;
  });
  afterAll(() => d?.close());

  const create = (ownerId = service, extra: object = {}) => d.adminApi.createToken({ name: "ledger export", scopes: ["ledger:read"], ownerId, ...extra });

  it("an organisation feature flag turns API tokens on — and off again, for every token at once", async () => {
    await expect(create()).rejects.toMatchObject({ code: Code.FailedPrecondition });
    await d.adminApi.updateOrganisation({ organisationId: orgId, settings: { apiTokensEnabled: true } });
    const created = await create();
    await eventually(async () => (await d.validation.validate(created.tokenValue)).valid, 2000);
    const off = await d.adminApi.updateOrganisation({ organisationId: orgId, settings: { apiTokensEnabled: false }, awaitValidators: { seconds: 5n } });
    expect(off.acknowledgement?.complete).toBe(true);
    expect((await d.validation.validate(created.tokenValue)).code).toBe(ValidationCode.TOKENS_DISABLED);
    await d.adminApi.updateOrganisation({ organisationId: orgId, settings: { apiTokensEnabled: true }, awaitValidators: { seconds: 5n } });
    expect((await d.validation.validate(created.tokenValue)).valid).toBe(true);
  });

  it("tokens only for technical users that are active on the creation date", async () => {
    const human = (await d.adminApi.createPrincipal({ organisationId: orgId, name: "accountant", kind: PrincipalKind.HUMAN, permissions: ["ledger:read"] })).principal!.id;
    await expect(create(human)).rejects.toMatchObject({ code: Code.FailedPrecondition });
    const retired = (await d.adminApi.createPrincipal({ organisationId: orgId, name: "old-connector", kind: PrincipalKind.TECHNICAL, permissions: ["ledger:read"] })).principal!.id;
    await d.adminApi.updatePrincipal({ principalId: retired, disabled: true });
    await expect(create(retired)).rejects.toMatchObject({ code: Code.FailedPrecondition });
    expect((await create()).token?.ownerId).toBe(service);
  });

  it("a token has a name", async () => {
    expect((await create(service, { name: "quarterly close" })).token?.name).toBe("quarterly close");
    await expect(create(service, { name: "" })).rejects.toMatchObject({ code: Code.InvalidArgument, rawMessage: expect.stringMatching(/^name:/) });
  });

  it("expiration defaults to today (its end, in the organisation's zone) when none is given", async () => {
    const created = await create();
    const today = DateTime.now().setZone(zone).toISODate()!;
    expect(Number(created.token!.expireTime!.seconds) * 1000).toBe(endOfDate(today, zone).getTime());
  });

  it("the value is shown once", async () => {
    const created = await create();
    expect(created.tokenValue).toMatch(/^tsr_pat_/);
    expect(toJsonString(GetTokenResponseSchema, await d.adminApi.getToken({ tokenId: created.token!.id }))).not.toContain(created.tokenValue.slice(8, 38));
  });

  it("remove keeps the row with a removal date and stops it working", async () => {
    const created = await create();
    await eventually(async () => (await d.validation.validate(created.tokenValue)).valid, 2000);
    await d.adminApi.revokeToken({ tokenId: created.token!.id, awaitValidators: { seconds: 5n } });
    const kept = (await d.adminApi.getToken({ tokenId: created.token!.id })).token!;
    expect(kept.status).toBe(TokenStatus.REVOKED);
    expect(kept.revokeTime).toBeDefined();
    expect((await d.adminApi.listTokens({ ownerId: service, status: TokenStatus.REVOKED, pageSize: 500 })).tokens.map((t) => t.id)).toContain(created.token!.id);
    expect((await d.validation.validate(created.tokenValue)).code).toBe(ValidationCode.REVOKED);
  });

  it("delete erases it from the list", async () => {
    const created = await create();
    await d.adminApi.deleteTokens({ tokenIds: [created.token!.id] });
    expect((await d.adminApi.listTokens({ ownerId: service, pageSize: 500 })).tokens.map((t) => t.id)).not.toContain(created.token!.id);
    await expect(d.adminApi.getToken({ tokenId: created.token!.id })).rejects.toMatchObject({ code: Code.NotFound });
  });
});
