import { Freshness } from "@tessera/shared/gen/tessera/v1/validator_pb";
import { Code } from "@connectrpc/connect";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { PrincipalKind, Role } from "@tessera/shared/gen/tessera/v1/identity_pb";
import { TokenStatus } from "@tessera/shared/gen/tessera/v1/token_pb";
import { eventually, type AdminClient } from "../support/clients.js";
import { startDeployment, type Deployment } from "../support/deployment.js";
import { storeCounts } from "../support/admin-deps.js";

// The admin API the console needs: names in answers, whom a caller may create
// tokens for, bulk disable (all or nothing), the validators' roster.

describe("admin API for the console", () => {
  let d: Deployment;
  let orgId: string;
  let ids: Record<string, string>;
  let as: Record<string, AdminClient>;
  const password = "correct horse battery";

  beforeAll(async () => {
    d = await startDeployment();
    orgId = (await d.adminApi.createOrganisation({ name: "api" })).organisation!.id;
    const team = (await d.adminApi.createGroup({ organisationId: orgId, name: "team" })).group!.id;
    const make = async (name: string, role: Role, groupId = "", kind = PrincipalKind.HUMAN) =>
      (await d.adminApi.createPrincipal({ organisationId: orgId, groupId, name, role, kind, permissions: ["x:read"], password: kind === PrincipalKind.HUMAN ? password : "" })).principal!.id;
    ids = {
      olga: await make("olga", Role.ORG_ADMIN),
      gary: await make("gary", Role.GROUP_ADMIN, team),
      mia: await make("mia", Role.MEMBER, team),
      max: await make("max", Role.MEMBER),
      bot: await make("bot", Role.MEMBER, team, PrincipalKind.TECHNICAL),
    };
    const session = async (name: string) => d.as((await d.as(undefined).signIn({ organisation: "api", userName: name, password })).sessionToken);
    as = { olga: await session("olga"), gary: await session("gary"), mia: await session("mia") };
  });
  afterAll(() => d?.close());

  const owners = async (client: AdminClient, organisationId = "") => (await client.listTokenOwners({ organisationId })).principals.map((p) => p.name).sort();

  it("ListTokenOwners lists exactly whom the caller may create a token for", async () => {
    expect(await owners(as.olga!)).toEqual(["bot", "gary", "max", "mia", "olga"]);
    expect(await owners(as.gary!)).toEqual(["bot", "gary", "mia"]); // its group; members and itself
    expect(await owners(as.mia!)).toEqual(["mia"]);
    expect(await owners(as.olga!, (await d.adminApi.getCaller({})).principal!.organisationId)).toEqual([]); // another organisation
    // Every one offered is accepted by CreateToken, for every caller.
    for (const [name, client] of Object.entries(as)) {
      for (const owner of (await client.listTokenOwners({})).principals) {
        await expect(client.createToken({ name: `${name} for ${owner.name}`, scopes: [], ownerId: owner.id === ids[name] ? "" : owner.id })).resolves.toBeDefined();
      }
    }
    await d.adminApi.updatePrincipal({ principalId: ids.max!, disabled: true });
    await d.adminApi.updateOrganisation({ organisationId: orgId, settings: { technicalUsersOnly: true } });
    expect(await owners(as.olga!)).toEqual(["bot"]);
    await d.adminApi.updateOrganisation({ organisationId: orgId, settings: { technicalUsersOnly: false } });
    await expect(as.mia!.listTokenOwners({ pageSize: 101 })).rejects.toMatchObject({ code: Code.InvalidArgument, rawMessage: expect.stringMatching(/^page_size:/) });
  });

  it("ListTokens and ListAuditEvents name the principals and tokens they mention", async () => {
    const created = await d.adminApi.createToken({ name: "named", scopes: [], ownerId: ids.mia });
    const page = await as.mia!.listTokens({ nameContains: "named" });
    expect(page.principalNames[ids.mia!]).toBe("mia");
    expect(page.principalNames[page.tokens[0]!.createdBy]).toBe("admin");
    const events = (await as.mia!.listAuditEvents({ tokenId: created.token!.id })).events;
    expect(events[0]).toMatchObject({ action: "token.create", actorName: "admin", principalName: "mia", tokenName: "named" });
  });

  it("DisableTokens disables all or none", async () => {
    const made = await Promise.all([1, 2, 3].map((i) => as.gary!.createToken({ name: `bulk ${i}`, scopes: [], ownerId: ids.mia })));
    const revoked = await as.gary!.createToken({ name: "revoked", scopes: [], ownerId: ids.mia });
    await as.gary!.revokeToken({ tokenId: revoked.token!.id });
    const outOfReach = await d.adminApi.createToken({ name: "olga's", scopes: [], ownerId: ids.olga });
    const tokenIds = made.map((m) => m.token!.id);
    const before = await storeCounts(d.database.handle.db);
    await expect(as.gary!.disableTokens({ tokenIds: [...tokenIds, revoked.token!.id] })).rejects.toMatchObject({ code: Code.FailedPrecondition });
    await expect(as.gary!.disableTokens({ tokenIds: [...tokenIds, outOfReach.token!.id] })).rejects.toMatchObject({ code: Code.NotFound });
    await expect(as.gary!.disableTokens({ tokenIds: [tokenIds[0]!, tokenIds[0]!] })).rejects.toMatchObject({ code: Code.InvalidArgument, rawMessage: expect.stringMatching(/^token_ids\[1\]:/) });
    expect(await storeCounts(d.database.handle.db)).toEqual(before);

    const done = await as.gary!.disableTokens({ tokenIds, awaitValidators: { seconds: 5n, nanos: 0 } });
    expect(done.tokens.map((t) => t.status)).toEqual([TokenStatus.DISABLED, TokenStatus.DISABLED, TokenStatus.DISABLED]);
    expect(done.acknowledgement).toMatchObject({ complete: true, live: 1, applied: 1 });
    for (const m of made) expect((await d.validation.validate(m.tokenValue)).valid).toBe(false);
  });

  it("ListValidators shows the live validator caught up, to admins and org admins only", async () => {
    await eventually(async () => (await d.adminApi.listValidators({})).validators.some((v) => v.lag === 0n && v.sinceHeard !== undefined), 5000);
    const overview = await as.olga!.listValidators({});
    expect(overview.validators).toHaveLength(1);
    expect(overview.validators[0]!.appliedSeq).toBeLessThanOrEqual(overview.headSeq);
    expect(overview.validators[0]).toMatchObject({ reachable: true, freshness: Freshness.CURRENT, maxStalenessMs: 5000 });
    await expect(as.gary!.listValidators({})).rejects.toMatchObject({ code: Code.PermissionDenied });
    await expect(as.mia!.listValidators({})).rejects.toMatchObject({ code: Code.PermissionDenied });
  });
});
