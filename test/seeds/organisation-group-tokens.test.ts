import { Code } from "@connectrpc/connect";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { PrincipalKind, Role } from "@tessera/shared/gen/tessera/v1/identity_pb";
import { TokenLevel, TokenStatus } from "@tessera/shared/gen/tessera/v1/token_pb";
import { ValidationCode } from "@tessera/shared/gen/tessera/v1/validator_pb";
import { eventually, type AdminClient } from "../support/clients.js";
import { startDeployment, type Deployment } from "../support/deployment.js";

// Seed: organisation- and group-level tokens (a code-hosting platform's kind).

describe("seed: organisation- and group-level tokens", () => {
  let d: Deployment;
  let orgId: string;
  let platform: string;
  let data: string;
  let orgAdmin: AdminClient;
  let groupAdmin: AdminClient;
  let member: AdminClient;
  const scopes = ["pipelines:run", "registry:read"];

  beforeAll(async () => {
    d = await startDeployment();
    orgId = (await d.adminApi.createOrganisation({ name: "platform-org" })).organisation!.id;
    platform = (await d.adminApi.createGroup({ organisationId: orgId, name: "platform" })).group!.id;
    data = (await d.adminApi.createGroup({ organisationId: orgId, name: "data" })).group!.id;
    const person = async (name: string, role: Role, groupId = "") => {
      const id = (await d.adminApi.createPrincipal({ organisationId: orgId, groupId, name, kind: PrincipalKind.HUMAN, role, permissions: scopes })).principal!.id;
      return d.as((await d.adminApi.createToken({ name: `${name}'s admin token`, ownerId: id, scopes: [], admin: true })).tokenValue);
    };
    orgAdmin = await person("owner", Role.ORG_ADMIN);
    groupAdmin = await person("lead", Role.GROUP_ADMIN, platform);
    member = await person("dev", Role.MEMBER, platform);
  });
  afterAll(() => d?.close());

  it("org-level and group-level tokens are each backed by a system-created technical user holding the token's role", async () => {
    const org = await orgAdmin.createToken({ name: "release bot", scopes, level: TokenLevel.ORG, admin: true });
    const group = await groupAdmin.createToken({ name: "deploy bot", scopes: ["pipelines:run"], level: TokenLevel.GROUP, groupId: platform });
    const orgOwner = (await d.adminApi.getPrincipal({ principalId: org.token!.ownerId })).principal!;
    const groupOwner = (await d.adminApi.getPrincipal({ principalId: group.token!.ownerId })).principal!;
    expect(orgOwner).toMatchObject({ kind: PrincipalKind.TECHNICAL, systemManaged: true, role: Role.ORG_ADMIN, groupId: "", permissions: scopes });
    expect(groupOwner).toMatchObject({ kind: PrincipalKind.TECHNICAL, systemManaged: true, role: Role.MEMBER, groupId: platform, permissions: ["pipelines:run"] });
    expect(org.token).toMatchObject({ level: TokenLevel.ORG, admin: true });
    expect(group.token).toMatchObject({ level: TokenLevel.GROUP, groupId: platform });
    await eventually(async () => (await d.validation.validate(group.tokenValue, "pipelines:run")).valid, 2000);
    expect((await d.validation.validate(group.tokenValue)).level).toBe(TokenLevel.GROUP);
  });

  it("only org admins and group admins manage them", async () => {
    await expect(member.createToken({ name: "x", scopes: [], level: TokenLevel.GROUP, groupId: platform })).rejects.toMatchObject({ code: Code.PermissionDenied });
    await expect(groupAdmin.createToken({ name: "x", scopes: [], level: TokenLevel.ORG })).rejects.toMatchObject({ code: Code.PermissionDenied });
    await expect(groupAdmin.createToken({ name: "x", scopes: [], level: TokenLevel.GROUP, groupId: data })).rejects.toMatchObject({ code: Code.NotFound });
    const orgToken = await orgAdmin.createToken({ name: "org only", scopes: [], level: TokenLevel.ORG });
    await expect(groupAdmin.disableToken({ tokenId: orgToken.token!.id })).rejects.toMatchObject({ code: Code.NotFound });
    await expect(member.getToken({ tokenId: orgToken.token!.id })).rejects.toMatchObject({ code: Code.NotFound });
  });

  it("name, expiration and 'assign the admin role'; the role's scope follows the level", async () => {
    const groupBot = await groupAdmin.createToken({ name: "group admin bot", scopes: [], level: TokenLevel.GROUP, groupId: platform, admin: true, expiry: { kind: { case: "after", value: { amount: 30, unit: 3 } } } });
    expect(groupBot.token).toMatchObject({ name: "group admin bot", admin: true });
    expect(groupBot.token?.expireTime).toBeDefined();
    const bot = d.as(groupBot.tokenValue);
    // A group-level admin token manages its group...
    const inGroup = await bot.createToken({ name: "made by bot", scopes: [], level: TokenLevel.GROUP, groupId: platform });
    expect(inGroup.token?.groupId).toBe(platform);
    // ...but not another group, nor the organisation.
    await expect(bot.createToken({ name: "x", scopes: [], level: TokenLevel.GROUP, groupId: data })).rejects.toMatchObject({ code: Code.NotFound });
    await expect(bot.createToken({ name: "x", scopes: [], level: TokenLevel.ORG })).rejects.toMatchObject({ code: Code.PermissionDenied });
    // An org-level admin token reaches every group of its organisation.
    const orgBot = d.as((await orgAdmin.createToken({ name: "org admin bot", scopes: [], level: TokenLevel.ORG, admin: true })).tokenValue);
    expect((await orgBot.createToken({ name: "in data", scopes: [], level: TokenLevel.GROUP, groupId: data })).token?.groupId).toBe(data);
    // Without the admin role the token cannot use the admin API at all.
    const plain = d.as((await orgAdmin.createToken({ name: "plain", scopes: [], level: TokenLevel.ORG })).tokenValue);
    await expect(plain.listTokens({})).rejects.toMatchObject({ code: Code.PermissionDenied });
  });

  it("revoke = temporarily disable, and enable again", async () => {
    const created = await groupAdmin.createToken({ name: "pausable", scopes: ["pipelines:run"], level: TokenLevel.GROUP, groupId: platform });
    await eventually(async () => (await d.validation.validate(created.tokenValue)).valid, 2000);
    const disabled = await groupAdmin.disableToken({ tokenId: created.token!.id, awaitValidators: { seconds: 5n } });
    expect(disabled.token?.status).toBe(TokenStatus.DISABLED);
    expect((await d.validation.validate(created.tokenValue)).code).toBe(ValidationCode.DISABLED);
    await groupAdmin.enableToken({ tokenId: created.token!.id });
    await eventually(async () => (await d.validation.validate(created.tokenValue)).valid, 2000);
  });

  it("delete = permanent: gone from listings and validation, its technical user disabled, its history kept", async () => {
    const created = await orgAdmin.createToken({ name: "doomed bot", scopes, level: TokenLevel.ORG });
    await eventually(async () => (await d.validation.validate(created.tokenValue)).valid, 2000);
    await orgAdmin.disableToken({ tokenId: created.token!.id });
    await orgAdmin.enableToken({ tokenId: created.token!.id });
    await orgAdmin.deleteTokens({ tokenIds: [created.token!.id], awaitValidators: { seconds: 5n } });
    expect((await d.validation.validate(created.tokenValue)).code).toBe(ValidationCode.NOT_FOUND);
    await expect(orgAdmin.getToken({ tokenId: created.token!.id })).rejects.toMatchObject({ code: Code.NotFound });
    expect((await orgAdmin.listTokens({ pageSize: 500 })).tokens.map((t) => t.id)).not.toContain(created.token!.id);
    expect((await d.adminApi.getPrincipal({ principalId: created.token!.ownerId })).principal?.disabled).toBe(true);
    const history = (await d.adminApi.listAuditEvents({ tokenId: created.token!.id })).events.map((e) => e.action);
    expect(history).toEqual(["token.delete", "token.enable", "token.disable", "token.create"]);
  });

  it("the status column shows each state", async () => {
    const a = await orgAdmin.createToken({ name: "st-a", scopes: [], level: TokenLevel.ORG });
    const b = await orgAdmin.createToken({ name: "st-b", scopes: [], level: TokenLevel.ORG });
    await orgAdmin.disableToken({ tokenId: b.token!.id });
    const listed = new Map((await orgAdmin.listTokens({ level: TokenLevel.ORG, nameContains: "st-", pageSize: 10 })).tokens.map((t) => [t.name, t.status]));
    expect(listed).toEqual(new Map([["st-a", TokenStatus.ACTIVE], ["st-b", TokenStatus.DISABLED]]));
  });
});
