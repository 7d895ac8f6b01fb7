import { Code } from "@connectrpc/connect";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { PrincipalKind, Role } from "@tessera/shared/gen/tessera/v1/identity_pb";
import { TokenStatus } from "@tessera/shared/gen/tessera/v1/token_pb";
import { ValidationCode } from "@tessera/shared/gen/tessera/v1/validator_pb";
import { eventually } from "../support/clients.js";
import { startDeployment, type Deployment } from "../support/deployment.js";
import { extAuthzClient, httpCheck, type ExtAuthzClient } from "../load-balancers/support/ext-authz-client.js";
import { httpCall } from "../load-balancers/support/http-call.js";

describe("sessions are for the admin API and console; regenerate kills children; a disable ends sessions", () => {
  let d: Deployment;
  let extAuthz: ExtAuthzClient;
  let orgId: string;
  let annaId: string;
  const password = "sessions are not api tokens";

  beforeAll(async () => {
    // No route table: every path is scope-less, where only a valid token is asked for.
    d = await startDeployment();
    extAuthz = extAuthzClient(d.validator.grpcPort);
    orgId = (await d.adminApi.createOrganisation({ name: "sessions-org" })).organisation!.id;
    annaId = (await d.adminApi.createPrincipal({ organisationId: orgId, name: "anna", kind: PrincipalKind.HUMAN, role: Role.MEMBER, permissions: ["docs:read"], password })).principal!.id;
  });
  afterAll(async () => {
    extAuthz?.close();
    await d?.close();
  });

  const signIn = async () => (await d.as(undefined).signIn({ organisation: "sessions-org", userName: "anna", password })).sessionToken;
  const forwardAuth = (token: string) => httpCall(d.validator.httpPort, "/auth", { headers: ["Authorization", `Bearer ${token}`, "X-Original-Method", "GET", "X-Original-URI", "/anything"] });
  const check = async (token: string) => (await extAuthz.check(httpCheck("GET", "/anything", { authorization: `Bearer ${token}` }))).status?.code;

  it("a session passes no validator surface on a scope-less route, whatever the organisation's switch, while a personal token does", async () => {
    const session = await signIn();
    const personal = (await d.as(session).createToken({ name: "annas", scopes: ["docs:read"] })).tokenValue;
    // The personal token was created after the session: once it validates, the validator holds both.
    await eventually(async () => (await d.validation.validate(personal)).valid, 2000);
    expect((await forwardAuth(personal)).status).toBe(200);
    expect(await check(personal)).toBe(0);

    expect((await d.validation.validate(session)).code).toBe(ValidationCode.NOT_FOUND);
    expect((await forwardAuth(session)).status).toBe(401);
    expect(await check(session)).toBe(16);
    const introspection = await httpCall(d.validator.httpPort, "/introspect", {
      method: "POST", headers: ["Authorization", `Bearer ${personal}`, "Content-Type", "application/x-www-form-urlencoded"], body: `token=${session}`,
    });
    expect(introspection.body).not.toContain('"active":true');

    // Switched off: the personal token stops; the session is refused there as before, and still works on the admin API.
    await d.adminApi.updateOrganisation({ organisationId: orgId, settings: { apiTokensEnabled: false }, awaitValidators: { seconds: 5n } });
    expect((await d.validation.validate(personal)).code).toBe(ValidationCode.TOKENS_DISABLED);
    expect((await forwardAuth(session)).status).toBe(401);
    expect(await check(session)).toBe(16);
    expect((await d.validation.validate(session)).valid).toBe(false);
    expect((await d.as(session).getCaller({})).principal?.id).toBe(annaId);
    await d.adminApi.updateOrganisation({ organisationId: orgId, settings: { apiTokensEnabled: true }, awaitValidators: { seconds: 5n } });
  });

  it("RegenerateToken revokes every token exchanged from the parent, on the validator and the admin API, grace period or not", async () => {
    const parent = await d.adminApi.createToken({ name: "parent", ownerId: annaId, scopes: ["docs:read"] });
    const childOf = async (value: string) => (await d.as(value).exchangeToken({ ttl: { seconds: 600n } })).tokenValue;
    const [first, second] = [await childOf(parent.tokenValue), await childOf(parent.tokenValue)];
    await eventually(async () => (await d.validation.validate(first)).valid && (await d.validation.validate(second)).valid, 2000);

    const regeneratedBy = Date.now() + 1000;
    const regenerated = await d.adminApi.regenerateToken({ tokenId: parent.token!.id, gracePeriod: { seconds: 600n } });
    await eventually(async () => (await d.validation.validate(regenerated.tokenValue)).valid, 2000);
    // The old value still works for its grace period; its children do not.
    expect((await d.validation.validate(parent.tokenValue)).valid).toBe(true);
    await eventually(async () => (await d.validation.validate(first)).code === ValidationCode.REVOKED, 2000);
    expect((await d.validation.validate(second)).code).toBe(ValidationCode.REVOKED);
    const listed = await d.adminApi.listTokens({ pageSize: 100 });
    const children = listed.tokens.filter((token) => token.parentTokenId === parent.token!.id);
    expect(children).toHaveLength(2);
    expect(children.every((token) => token.status === TokenStatus.REVOKED)).toBe(true);
    const audit = (await d.adminApi.listAuditEvents({ pageSize: 100 })).events.find((e) => e.action === "token.regenerate" && e.tokenId === parent.token!.id);
    expect(audit?.details).toMatchObject({ exchanged_tokens_revoked: 2 });

    // A child exchanged with the old value during its grace period ends when that value does.
    const late = await d.as(parent.tokenValue).exchangeToken({ ttl: { seconds: 3600n } });
    expect(Number(late.token!.expireTime!.seconds) * 1000).toBeLessThanOrEqual(regeneratedBy + 600_000);

    // And a child of the new value dies at the next regeneration.
    const third = await childOf(regenerated.tokenValue);
    await eventually(async () => (await d.validation.validate(third)).valid, 2000);
    await d.adminApi.regenerateToken({ tokenId: parent.token!.id });
    await eventually(async () => (await d.validation.validate(third)).code === ValidationCode.REVOKED, 2000);
  });

  it("disabling a principal ends its sessions for good: enabling it again revives none", async () => {
    const before = await signIn();
    expect((await d.as(before).getCaller({})).principal?.id).toBe(annaId);
    await d.adminApi.updatePrincipal({ principalId: annaId, disabled: true, awaitValidators: { seconds: 5n } });
    await expect(d.as(before).getCaller({})).rejects.toMatchObject({ code: Code.Unauthenticated });
    await d.adminApi.updatePrincipal({ principalId: annaId, disabled: false, awaitValidators: { seconds: 5n } });
    await expect(d.as(before).getCaller({})).rejects.toMatchObject({ code: Code.Unauthenticated });
    const listed = await d.adminApi.listTokens({ ownerId: annaId, pageSize: 100 });
    expect(listed.tokens.filter((token) => token.name === "session").every((token) => token.status === TokenStatus.REVOKED)).toBe(true);
    const audit = (await d.adminApi.listAuditEvents({ pageSize: 100 })).events.find((e) => e.action === "principal.update" && e.principalId === annaId && e.details?.disabled === true);
    expect(audit?.details?.sessions_ended).toBeGreaterThanOrEqual(1);
    // A new sign-in works as before.
    expect((await d.as(await signIn()).getCaller({})).principal?.id).toBe(annaId);
  });
});
