import { Code } from "@connectrpc/connect";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { PrincipalKind } from "@tessera/shared/gen/tessera/v1/identity_pb";
import { TokenKind, TokenStatus } from "@tessera/shared/gen/tessera/v1/token_pb";
import { ValidationCode } from "@tessera/shared/gen/tessera/v1/validator_pb";
import { parseToken } from "@tessera/shared/token/token-format";
import { eventually, type AdminClient } from "../support/clients.js";
import { startDeployment, type Deployment } from "../support/deployment.js";

// Seed: personal access tokens used as alternative passwords (git over HTTPS, CLIs).

describe("seed: personal access tokens as alternative passwords", () => {
  let d: Deployment;
  let me: AdminClient;
  let myId: string;

  beforeAll(async () => {
    d = await startDeployment();
    const orgId = (await d.adminApi.createOrganisation({ name: "devs", settings: { maxExchangeTtl: { seconds: 600n, nanos: 0 }, maxRegenerateGrace: { seconds: 60n, nanos: 0 } } })).organisation!.id;
    myId = (await d.adminApi.createPrincipal({ organisationId: orgId, name: "dev", kind: PrincipalKind.HUMAN, permissions: ["repo:read", "repo:write"], password: "a long enough password" })).principal!.id;
    me = d.as((await d.as(undefined).signIn({ organisation: "devs", userName: "dev", password: "a long enough password" })).sessionToken);
  });
  afterAll(() => d?.close());

  const valid = (value: string, scope = "") => eventually(async () => (await d.validation.validate(value, scope)).valid, 2000);
  const codeOf = async (value: string) => (await d.validation.validate(value)).code;

  it("create with a name and an expiration", async () => {
    const created = await me.createToken({ name: "laptop git", scopes: ["repo:read"], expiry: { kind: { case: "after", value: { amount: 90, unit: 3 } } } });
    expect(created.token).toMatchObject({ name: "laptop git", ownerId: myId, kind: TokenKind.PERSONAL });
    // 90 calendar days in the organisation's zone (UTC here): to the second, from the creation instant.
    expect(Number(created.token!.expireTime!.seconds) - Number(created.token!.createTime!.seconds)).toBe(90 * 86_400);
  });

  it("copy: the value shown is the whole token, ready to paste", async () => {
    const created = await me.createToken({ name: "copy me", scopes: ["repo:read"] });
    expect(parseToken(created.tokenValue)).toBe("personal");
    await valid(created.tokenValue, "repo:read");
  });

  it("exchange the personal token for a short-lived bearer token that dies with it", async () => {
    const pat = await me.createToken({ name: "ci", scopes: ["repo:read", "repo:write"] });
    const holder = d.as(pat.tokenValue); // no admin option: may only exchange itself
    const exchanged = await holder.exchangeToken({ ttl: { seconds: 300n, nanos: 0 }, scopes: ["repo:read"] });
    expect(parseToken(exchanged.tokenValue)).toBe("exchanged");
    expect(exchanged.token).toMatchObject({ kind: TokenKind.EXCHANGED, parentTokenId: pat.token!.id, scopes: ["repo:read"] });
    const lifetime = Number(exchanged.token!.expireTime!.seconds) - Number(exchanged.token!.createTime!.seconds);
    expect(lifetime).toBe(300);
    await valid(exchanged.tokenValue, "repo:read");
    expect((await d.validation.validate(exchanged.tokenValue, "repo:write")).code).toBe(ValidationCode.INSUFFICIENT_SCOPE);
    await expect(holder.exchangeToken({ ttl: { seconds: 3600n, nanos: 0 } })).rejects.toMatchObject({ code: Code.InvalidArgument, rawMessage: expect.stringMatching(/^ttl:/) });
    await expect(holder.exchangeToken({ scopes: ["repo:admin"] })).rejects.toMatchObject({ code: Code.InvalidArgument });
    await expect(d.as(exchanged.tokenValue).exchangeToken({})).rejects.toMatchObject({ code: Code.FailedPrecondition });

    await me.revokeToken({ tokenId: pat.token!.id, awaitValidators: { seconds: 5n } });
    expect(await codeOf(exchanged.tokenValue)).toBe(ValidationCode.REVOKED);
    await expect(d.as(exchanged.tokenValue).getCaller({})).rejects.toMatchObject({ code: Code.Unauthenticated });
  });

  it("revoke (the CLI asks for confirmation first)", async () => {
    const created = await me.createToken({ name: "old laptop", scopes: ["repo:read"] });
    await valid(created.tokenValue);
    await me.revokeToken({ tokenId: created.token!.id, awaitValidators: { seconds: 5n } });
    expect(await codeOf(created.tokenValue)).toBe(ValidationCode.REVOKED);
  });

  it("regenerate: a new value for the same record; the old value stops at once", async () => {
    const created = await me.createToken({ name: "rotate me", scopes: ["repo:read"], expiry: { kind: { case: "after", value: { amount: 30, unit: 3 } } } });
    await valid(created.tokenValue);
    const regenerated = await me.regenerateToken({ tokenId: created.token!.id });
    expect(regenerated.tokenValue).not.toBe(created.tokenValue);
    expect(regenerated.token).toMatchObject({ id: created.token!.id, name: "rotate me", scopes: ["repo:read"], ownerId: myId, expireTime: created.token!.expireTime });
    expect(regenerated.token?.regenerateTime).toBeDefined();
    await valid(regenerated.tokenValue);
    expect(await codeOf(created.tokenValue)).not.toBe(ValidationCode.VALID);
  });

  it("regenerate with a grace period: the old value works until it ends; the grace is bounded by policy", async () => {
    const created = await me.createToken({ name: "rolling", scopes: ["repo:read"] });
    await valid(created.tokenValue);
    const regenerated = await me.regenerateToken({ tokenId: created.token!.id, gracePeriod: { seconds: 2n, nanos: 0 } });
    await valid(regenerated.tokenValue);
    expect(await codeOf(created.tokenValue)).toBe(ValidationCode.VALID);
    await eventually(async () => (await codeOf(created.tokenValue)) === ValidationCode.REVOKED, 5000, 100);
    expect(await codeOf(regenerated.tokenValue)).toBe(ValidationCode.VALID);
    await expect(me.regenerateToken({ tokenId: created.token!.id, gracePeriod: { seconds: 3600n, nanos: 0 } })).rejects.toMatchObject({ code: Code.InvalidArgument, rawMessage: expect.stringMatching(/^grace_period:/) });
  });

  it("status: active, disabled, revoked, expired", async () => {
    const active = await me.createToken({ name: "s-active", scopes: [] });
    const disabled = await me.createToken({ name: "s-disabled", scopes: [] });
    const revoked = await me.createToken({ name: "s-revoked", scopes: [] });
    // At least a whole second ahead, however late in a second the test starts.
    const expiresAtSeconds = Math.ceil(Date.now() / 1000) + 1;
    const expiring = await me.createToken({ name: "s-expired", scopes: [], expiry: { kind: { case: "at", value: { seconds: BigInt(expiresAtSeconds), nanos: 0 } } } });
    expect(expiring.token!.expireTime!.seconds).toBe(BigInt(expiresAtSeconds));
    await me.disableToken({ tokenId: disabled.token!.id });
    await me.revokeToken({ tokenId: revoked.token!.id });
    const status = async (id: string) => (await me.getToken({ tokenId: id })).token!.status;
    expect(await status(expiring.token!.id)).toBe(TokenStatus.ACTIVE);
    await eventually(async () => (await status(expiring.token!.id)) === TokenStatus.EXPIRED, 5000, 50);
    expect(await status(active.token!.id)).toBe(TokenStatus.ACTIVE);
    expect(await status(disabled.token!.id)).toBe(TokenStatus.DISABLED);
    expect(await status(revoked.token!.id)).toBe(TokenStatus.REVOKED);
    expect(await status(expiring.token!.id)).toBe(TokenStatus.EXPIRED);
    const expiredOnly = (await me.listTokens({ status: TokenStatus.EXPIRED })).tokens.map((t) => t.name);
    expect(expiredOnly).toEqual(["s-expired"]);
  });
});
