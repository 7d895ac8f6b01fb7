import { Code, ConnectError } from "@connectrpc/connect";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { PrincipalKind, Role } from "@tessera/shared/gen/tessera/v1/identity_pb";
import { TokenLevel } from "@tessera/shared/gen/tessera/v1/token_pb";
import type { RunningAdmin } from "@tessera/token-admin/start-token-admin";
import { adminClient, type AdminClient } from "./support/clients.js";
import { deploymentEnv, startAdmin } from "./support/in-process.js";
import { createPostgresDatabase, type TestDatabase } from "./support/test-database.js";
import { uniqueRedisPrefix } from "./support/test-redis.js";
import { buildWorld, worldPermissions, type World } from "./support/world.js";

// The whole (RPC × role × target) table, written here independently of the
// implementation's table: every RPC, for the built-in admin, an org admin, a
// group admin and a member, on targets inside and outside their reach.

type Outcome = "ok" | "denied" | "not_found" | "unauthenticated";

async function outcome(call: Promise<unknown>): Promise<Outcome> {
  try {
    await call;
    return "ok";
  } catch (err) {
    if (!(err instanceof ConnectError)) throw err;
    if (err.code === Code.PermissionDenied) return "denied";
    if (err.code === Code.NotFound) return "not_found";
    if (err.code === Code.Unauthenticated) return "unauthenticated";
    throw err;
  }
}

type CallerName = "admin" | "orgAdmin" | "redAdmin" | "redMember";
const callers: CallerName[] = ["admin", "orgAdmin", "redAdmin", "redMember"];

describe("authorization: every RPC for every role", () => {
  let database: TestDatabase;
  let server: RunningAdmin;
  let world: World;
  let client: Record<CallerName, AdminClient>;
  let ownerOf: Record<"self" | "groupPeer" | "otherGroup" | "otherOrg", string>;

  beforeAll(async () => {
    database = await createPostgresDatabase();
    server = await startAdmin(deploymentEnv(database, uniqueRedisPrefix()));
    world = await buildWorld(server);
    client = { admin: world.admin, orgAdmin: world.orgAdmin.client, redAdmin: world.redAdmin.client, redMember: world.redMember.client };
    ownerOf = { self: world.redMember.id, groupPeer: world.redPeer.id, otherGroup: world.blueMember.id, otherOrg: world.globexMember.id };
  });
  afterAll(async () => {
    await server?.close();
    await database?.drop();
  });

  /** A fresh token of `owner` (made by the built-in admin), so destructive RPCs do not interfere. */
  const tokenOf = async (owner: string) => (await world.admin.createToken({ name: "target", scopes: ["orders:read"], ownerId: owner })).token!.id;

  // Tokens by owner: who may see (and so manage) whose. Invisible looks NOT_FOUND.
  const tokenTable: Record<CallerName, Record<keyof typeof ownerOf, Outcome>> = {
    admin: { self: "ok", groupPeer: "ok", otherGroup: "ok", otherOrg: "ok" },
    orgAdmin: { self: "ok", groupPeer: "ok", otherGroup: "ok", otherOrg: "not_found" },
    redAdmin: { self: "ok", groupPeer: "ok", otherGroup: "not_found", otherOrg: "not_found" },
    redMember: { self: "ok", groupPeer: "not_found", otherGroup: "not_found", otherOrg: "not_found" },
  };
  const tokenRpcs: Record<string, (c: AdminClient, id: string) => Promise<unknown>> = {
    GetToken: (c, id) => c.getToken({ tokenId: id }),
    RevokeToken: (c, id) => c.revokeToken({ tokenId: id }),
    DisableToken: (c, id) => c.disableToken({ tokenId: id }),
    EnableToken: (c, id) => c.enableToken({ tokenId: id }),
    DeleteTokens: (c, id) => c.deleteTokens({ tokenIds: [id] }),
    RegenerateToken: (c, id) => c.regenerateToken({ tokenId: id }),
  };

  it("token RPCs follow reach over the token's owner", async () => {
    for (const [rpc, call] of Object.entries(tokenRpcs)) {
      for (const caller of callers) {
        for (const [target, owner] of Object.entries(ownerOf)) {
          expect(await outcome(call(client[caller], await tokenOf(owner))), `${rpc} by ${caller} on ${target}`).toBe(tokenTable[caller][target as keyof typeof ownerOf]);
        }
      }
    }
  });

  it("CreateToken: personal tokens for principals in reach", async () => {
    for (const caller of callers) {
      for (const [target, owner] of Object.entries(ownerOf)) {
        const result = await outcome(client[caller].createToken({ name: "t", scopes: ["orders:read"], ownerId: owner }));
        expect(result, `CreateToken by ${caller} for ${target}`).toBe(tokenTable[caller][target as keyof typeof ownerOf]);
      }
    }
  });

  it("CreateToken: group tokens by group admins and up, org tokens by org admins and up", async () => {
    const group = (c: AdminClient, groupId: string) => outcome(c.createToken({ name: "g", scopes: ["orders:read"], level: TokenLevel.GROUP, groupId }));
    const org = (c: AdminClient, organisationId: string) => outcome(c.createToken({ name: "o", scopes: ["orders:read"], level: TokenLevel.ORG, organisationId }));
    const expected: Record<CallerName, [Outcome, Outcome, Outcome, Outcome]> = {
      // [red group, blue group, own org, other org]
      admin: ["ok", "ok", "ok", "ok"],
      orgAdmin: ["ok", "ok", "ok", "not_found"],
      redAdmin: ["ok", "not_found", "denied", "not_found"],
      redMember: ["denied", "not_found", "denied", "not_found"],
    };
    for (const caller of callers) {
      const got = [await group(client[caller], world.acme.red), await group(client[caller], world.acme.blue), await org(client[caller], world.acme.id), await org(client[caller], world.globex.id)];
      expect(got, `group/org tokens by ${caller}`).toEqual(expected[caller]);
    }
  });

  it("ListTokens shows exactly the tokens in reach", async () => {
    const ids = Object.fromEntries(await Promise.all(Object.entries(ownerOf).map(async ([target, owner]) => [target, await tokenOf(owner)] as const)));
    for (const caller of callers) {
      const listed = new Set((await client[caller].listTokens({ pageSize: 500 })).tokens.map((t) => t.id));
      for (const [target, id] of Object.entries(ids)) {
        expect(listed.has(id), `${caller} lists ${target}`).toBe(tokenTable[caller][target as keyof typeof ownerOf] === "ok");
      }
      // A filter outside reach yields nothing rather than an error.
      const foreign = await client[caller].listTokens({ organisationId: world.globex.id });
      expect(foreign.tokens.length > 0, `${caller} lists globex`).toBe(caller === "admin");
    }
  });

  it("organisation RPCs", async () => {
    const expected: Record<CallerName, Record<string, Outcome>> = {
      admin: { create: "ok", updateOwn: "ok", updateOther: "ok", getOwn: "ok", getOther: "ok" },
      orgAdmin: { create: "denied", updateOwn: "ok", updateOther: "not_found", getOwn: "ok", getOther: "not_found" },
      redAdmin: { create: "denied", updateOwn: "denied", updateOther: "not_found", getOwn: "ok", getOther: "not_found" },
      redMember: { create: "denied", updateOwn: "denied", updateOther: "not_found", getOwn: "ok", getOther: "not_found" },
    };
    for (const caller of callers) {
      const c = client[caller];
      const got = {
        create: await outcome(c.createOrganisation({ name: `org-by-${caller}-${Date.now()}` })),
        updateOwn: await outcome(c.updateOrganisation({ organisationId: world.acme.id, settings: { allowNoExpiry: true } })),
        updateOther: await outcome(c.updateOrganisation({ organisationId: world.globex.id, settings: { allowNoExpiry: true } })),
        getOwn: await outcome(c.getOrganisation({ organisationId: world.acme.id })),
        getOther: await outcome(c.getOrganisation({ organisationId: world.globex.id })),
      };
      expect(got, `organisations by ${caller}`).toEqual(expected[caller]);
      const listed = (await c.listOrganisations({ pageSize: 500 })).organisations.map((o) => o.id);
      expect(listed.includes(world.globex.id), `${caller} lists globex`).toBe(caller === "admin");
      expect(listed.includes(world.acme.id), `${caller} lists acme`).toBe(true);
    }
  });

  it("group RPCs", async () => {
    const expected: Record<CallerName, Record<string, Outcome>> = {
      admin: { create: "ok", createOther: "ok", updateRed: "ok", updateBlue: "ok", getRed: "ok", getBlue: "ok" },
      orgAdmin: { create: "ok", createOther: "not_found", updateRed: "ok", updateBlue: "ok", getRed: "ok", getBlue: "ok" },
      redAdmin: { create: "denied", createOther: "not_found", updateRed: "denied", updateBlue: "not_found", getRed: "ok", getBlue: "not_found" },
      redMember: { create: "denied", createOther: "not_found", updateRed: "denied", updateBlue: "not_found", getRed: "ok", getBlue: "not_found" },
    };
    for (const caller of callers) {
      const c = client[caller];
      const got = {
        create: await outcome(c.createGroup({ organisationId: world.acme.id, name: `g-${caller}` })),
        createOther: await outcome(c.createGroup({ organisationId: world.globex.id, name: `g-${caller}` })),
        updateRed: await outcome(c.updateGroup({ groupId: world.acme.red, name: "red" })),
        updateBlue: await outcome(c.updateGroup({ groupId: world.acme.blue, name: "blue" })),
        getRed: await outcome(c.getGroup({ groupId: world.acme.red })),
        getBlue: await outcome(c.getGroup({ groupId: world.acme.blue })),
      };
      expect(got, `groups by ${caller}`).toEqual(expected[caller]);
      const listed = (await c.listGroups({ organisationId: world.acme.id })).groups.map((g) => g.id);
      expect(listed.includes(world.acme.blue), `${caller} lists blue`).toBe(caller === "admin" || caller === "orgAdmin");
      expect(listed.includes(world.acme.red), `${caller} lists red`).toBe(true);
    }
  });

  it("principal RPCs, with no role or scope beyond the caller's own", async () => {
    const make = (c: AdminClient, groupId: string, role = Role.MEMBER, permissions = ["orders:read"]) =>
      outcome(c.createPrincipal({ organisationId: world.acme.id, groupId, name: `p-${Math.random().toString(36).slice(2)}`, kind: PrincipalKind.HUMAN, role, permissions }));
    const expected: Record<CallerName, Record<string, Outcome>> = {
      admin: { inRed: "ok", inBlue: "ok", orgAdminRole: "ok", star: "ok", updatePeer: "ok", updateBlue: "ok", getPeer: "ok", getSelf: "ok", getOther: "ok" },
      orgAdmin: { inRed: "ok", inBlue: "ok", orgAdminRole: "ok", star: "denied", updatePeer: "ok", updateBlue: "ok", getPeer: "ok", getSelf: "ok", getOther: "not_found" },
      redAdmin: { inRed: "ok", inBlue: "denied", orgAdminRole: "denied", star: "denied", updatePeer: "ok", updateBlue: "not_found", getPeer: "ok", getSelf: "ok", getOther: "not_found" },
      redMember: { inRed: "denied", inBlue: "denied", orgAdminRole: "denied", star: "denied", updatePeer: "not_found", updateBlue: "not_found", getPeer: "not_found", getSelf: "ok", getOther: "not_found" },
    };
    const self: Record<CallerName, string> = { admin: (await world.admin.getCaller({})).principal!.id, orgAdmin: world.orgAdmin.id, redAdmin: world.redAdmin.id, redMember: world.redMember.id };
    for (const caller of callers) {
      const c = client[caller];
      const got = {
        inRed: await make(c, world.acme.red),
        inBlue: await make(c, world.acme.blue),
        orgAdminRole: await make(c, world.acme.red, Role.ORG_ADMIN),
        star: await make(c, world.acme.red, Role.MEMBER, ["*"]),
        updatePeer: await outcome(c.updatePrincipal({ principalId: world.redPeer.id, permissions: { scopes: ["orders:read", "orders:write", "invoices:read"] } })),
        updateBlue: await outcome(c.updatePrincipal({ principalId: world.blueMember.id, permissions: { scopes: ["orders:read", "orders:write", "invoices:read"] } })),
        getPeer: await outcome(c.getPrincipal({ principalId: world.redPeer.id })),
        getSelf: await outcome(c.getPrincipal({ principalId: self[caller] })),
        getOther: await outcome(c.getPrincipal({ principalId: world.globexMember.id })),
      };
      expect(got, `principals by ${caller}`).toEqual(expected[caller]);
    }
    // A scope the caller does not hold cannot be granted, even within reach.
    expect(await make(world.redAdmin.client, world.acme.red, Role.MEMBER, ["payroll:read"])).toBe("denied");
    // Listing: a member sees itself, a group admin its group, an org admin its organisation.
    const names = async (c: AdminClient) => new Set((await c.listPrincipals({ pageSize: 500 })).principals.map((p) => p.name));
    expect([...(await names(world.redMember.client))]).toEqual(["rob"]);
    expect(await names(world.redAdmin.client)).not.toContain("bert");
    expect(await names(world.redAdmin.client)).toContain("rose");
    expect(await names(world.orgAdmin.client)).toContain("bert");
    expect(await names(world.orgAdmin.client)).not.toContain("gus");
  });

  it("ListAuditEvents shows each role only what concerns its reach", async () => {
    const events = async (c: AdminClient) => (await c.listAuditEvents({ pageSize: 500 })).events;
    expect((await events(world.admin)).some((e) => e.organisationId === world.globex.id)).toBe(true);
    expect((await events(world.orgAdmin.client)).every((e) => e.organisationId === world.acme.id)).toBe(true);
    expect((await events(world.redMember.client)).every((e) => e.actorId === world.redMember.id || e.principalId === world.redMember.id)).toBe(true);
    expect((await events(world.redMember.client)).length).toBeGreaterThan(0);
    const red = new Set((await world.admin.listPrincipals({ organisationId: world.acme.id, groupId: world.acme.red, pageSize: 500 })).principals.map((p) => p.id));
    const redAdminSees = await events(world.redAdmin.client);
    expect(redAdminSees.length).toBeGreaterThan(0);
    expect(redAdminSees.every((e) => red.has(e.principalId))).toBe(true);
    expect(redAdminSees.some((e) => e.principalId === world.blueMember.id)).toBe(false);
  });

  it("nobody acts for a principal above its rank: no token for it, none of its tokens changed or regenerated", async () => {
    const me = await world.admin.getCaller({});
    const builtInAdmin = me.principal!;
    // An org admin in the built-in admin's own organisation, and an org admin placed in the red group.
    const deputy = (await world.admin.createPrincipal({ organisationId: builtInAdmin.organisationId, name: `deputy-${Date.now()}`, kind: PrincipalKind.HUMAN, role: Role.ORG_ADMIN, permissions: worldPermissions })).principal!;
    const deputyClient = adminClient(server.port, (await world.admin.createToken({ name: "deputy", ownerId: deputy.id, scopes: worldPermissions, admin: true })).tokenValue);
    const redBoss = (await world.admin.createPrincipal({ organisationId: world.acme.id, groupId: world.acme.red, name: `red-boss-${Date.now()}`, kind: PrincipalKind.HUMAN, role: Role.ORG_ADMIN, permissions: worldPermissions })).principal!;
    const adminTokenId = (await world.admin.createToken({ name: "admin's", scopes: [], admin: true })).token!.id;
    const redBossTokenId = (await world.admin.createToken({ name: "boss's", ownerId: redBoss.id, scopes: ["orders:read"], admin: true })).token!.id;

    expect(await outcome(deputyClient.createToken({ name: "takeover", ownerId: builtInAdmin.id, scopes: [], admin: true }))).toBe("denied");
    expect(await outcome(world.redAdmin.client.createToken({ name: "takeover", ownerId: redBoss.id, scopes: ["orders:read"], admin: true }))).toBe("denied");
    for (const [rpc, call] of Object.entries(tokenRpcs)) {
      if (rpc === "GetToken") continue; // reading stays within reach
      expect(await outcome(call(deputyClient, adminTokenId)), `${rpc} by an org admin on the built-in admin's token`).toBe("denied");
      expect(await outcome(call(world.redAdmin.client, redBossTokenId)), `${rpc} by a group admin on an org admin's token`).toBe("denied");
    }
    expect(await outcome(deputyClient.getToken({ tokenId: adminTokenId }))).toBe("ok");
    // The built-in admin's token still works: nothing above was half-done.
    expect((await world.admin.getToken({ tokenId: adminTokenId })).token?.status).toBe((await world.admin.getToken({ tokenId: me.tokenId })).token?.status);
  });

  it("a token made or regenerated for someone else carries only scopes the caller holds too", async () => {
    const richMember = (await world.admin.createPrincipal({ organisationId: world.acme.id, groupId: world.acme.red, name: `rich-${Date.now()}`, kind: PrincipalKind.HUMAN, permissions: [...worldPermissions, "payroll:read"] })).principal!;
    expect(await outcome(world.redAdmin.client.createToken({ name: "t", ownerId: richMember.id, scopes: ["payroll:read"] }))).toBe("denied");
    expect(await outcome(world.redAdmin.client.createToken({ name: "t", ownerId: richMember.id, scopes: ["orders:read"] }))).toBe("ok");
    const payroll = (await world.admin.createToken({ name: "payroll", ownerId: richMember.id, scopes: ["payroll:read"] })).token!.id;
    expect(await outcome(world.redAdmin.client.regenerateToken({ tokenId: payroll }))).toBe("denied");
    expect(await outcome(world.redAdmin.client.revokeToken({ tokenId: payroll }))).toBe("ok"); // taking away needs no scope
  });

  it("an exchanged token never carries the admin option", async () => {
    const exchanged = await world.orgAdmin.client.exchangeToken({ scopes: ["orders:read"] });
    expect(exchanged.token?.admin).toBe(false);
    const viaExchanged = adminClient(server.port, exchanged.tokenValue);
    expect(await outcome(viaExchanged.createToken({ name: "long-lived", scopes: worldPermissions }))).toBe("denied");
  });

  it("GetCaller and ExchangeToken: everyone, about itself", async () => {
    for (const caller of callers) {
      expect(await outcome(client[caller].getCaller({})), caller).toBe("ok");
      expect(await outcome(client[caller].exchangeToken({})), caller).toBe("ok");
    }
  });

  it("a token without the admin option may only exchange itself; no credentials is UNAUTHENTICATED everywhere but SignIn", async () => {
    const plain = (await world.admin.createToken({ name: "plain", scopes: ["orders:read"], ownerId: world.redMember.id })).tokenValue;
    const withoutOption = adminClient(server.port, plain);
    const anonymous = adminClient(server.port);
    const everyRpc: Record<string, (c: AdminClient) => Promise<unknown>> = {
      CreateToken: (c) => c.createToken({ name: "x", scopes: [] }),
      GetToken: (c) => c.getToken({ tokenId: "00000000-0000-4000-8000-000000000000" }),
      ListTokens: (c) => c.listTokens({}),
      RevokeToken: (c) => c.revokeToken({ tokenId: "00000000-0000-4000-8000-000000000000" }),
      DisableToken: (c) => c.disableToken({ tokenId: "00000000-0000-4000-8000-000000000000" }),
      EnableToken: (c) => c.enableToken({ tokenId: "00000000-0000-4000-8000-000000000000" }),
      DeleteTokens: (c) => c.deleteTokens({ tokenIds: ["00000000-0000-4000-8000-000000000000"] }),
      RegenerateToken: (c) => c.regenerateToken({ tokenId: "00000000-0000-4000-8000-000000000000" }),
      GetCaller: (c) => c.getCaller({}),
      CreateOrganisation: (c) => c.createOrganisation({ name: "x" }),
      UpdateOrganisation: (c) => c.updateOrganisation({ organisationId: world.acme.id }),
      GetOrganisation: (c) => c.getOrganisation({}),
      ListOrganisations: (c) => c.listOrganisations({}),
      CreateGroup: (c) => c.createGroup({ name: "x" }),
      UpdateGroup: (c) => c.updateGroup({ groupId: world.acme.red, name: "red" }),
      GetGroup: (c) => c.getGroup({ groupId: world.acme.red }),
      ListGroups: (c) => c.listGroups({}),
      CreatePrincipal: (c) => c.createPrincipal({ name: "x", kind: PrincipalKind.HUMAN }),
      UpdatePrincipal: (c) => c.updatePrincipal({ principalId: world.redPeer.id }),
      GetPrincipal: (c) => c.getPrincipal({ principalId: world.redPeer.id }),
      ListPrincipals: (c) => c.listPrincipals({}),
      ListAuditEvents: (c) => c.listAuditEvents({}),
    };
    for (const [rpc, call] of Object.entries(everyRpc)) {
      expect(await outcome(call(withoutOption)), `${rpc} without the admin option`).toBe("denied");
      expect(await outcome(call(anonymous)), `${rpc} without credentials`).toBe("unauthenticated");
    }
    expect(await outcome(withoutOption.exchangeToken({}))).toBe("ok");
    expect(await outcome(anonymous.exchangeToken({}))).toBe("unauthenticated");
  });
});
