import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { PrincipalKind, Role } from "@tessera/shared/gen/tessera/v1/identity_pb";
import { ValidationCode } from "@tessera/shared/gen/tessera/v1/validator_pb";
import { generateToken } from "@tessera/shared/token/token-format";
import type { RunningAdmin } from "@tessera/token-admin/start-token-admin";
import { Replica } from "@tessera/token-validator/domain/replica";
import type { RunningValidator } from "@tessera/token-validator/start-token-validator";
import { organisationScope } from "@tessera/token-validator/domain/organisation-scope";
import { createFeedStore } from "@tessera/token-validator/store/feed-store";
import { adminClient, eventually, validatorClient, type AdminClient, type ValidatorClient } from "../support/clients.js";
import { deploymentEnv, startAdmin, startValidator } from "../support/in-process.js";
import { replicaView, type ReplicaView } from "../support/replica-equality.js";
import { createPostgresDatabase, type TestDatabase } from "../support/test-database.js";
import { uniqueRedisPrefix } from "../support/test-redis.js";
import { extAuthzClient, httpCheck, type ExtAuthzClient } from "../load-balancers/support/ext-authz-client.js";
import { httpCall } from "../load-balancers/support/http-call.js";

/** What a full replica holds of `organisations`' only: what a partial one serving them must hold. */
function viewOf(view: ReplicaView, organisations: readonly string[]): ReplicaView {
  const tokens = view.tokens.filter((token) => organisations.includes(token.organisationId as string));
  const ids = new Set(tokens.map((token) => token.id as string));
  return {
    appliedSeq: view.appliedSeq,
    tokens,
    digests: view.digests.filter(([, id]) => ids.has(id)),
    principals: view.principals.filter(([, principal]) => organisations.includes(principal.organisationId)),
    organisations: view.organisations.filter(([id]) => organisations.includes(id)),
  };
}

/** Every organisation a replica holds anything of. */
function organisationsHeld(replica: Replica): string[] {
  const held = new Set([...replica.organisations.keys()]);
  for (const token of replica.tokens()) held.add(token.organisationId);
  for (const principal of replica.principals.values()) held.add(principal.organisationId);
  return [...held].sort();
}

// Two validators on one deployment: `full` holds every organisation, `partial`
// only A's (TESSERA_VALIDATOR_ORGANISATIONS). On A's tokens they must agree in
// everything; any other value the partial one answers NOT_SERVED, never
// NOT_FOUND (it cannot tell another organisation's token from a forgery).
describe("a partial replica serving one organisation of several", () => {
  let database: TestDatabase;
  let admin: RunningAdmin;
  let api: AdminClient;
  let full: RunningValidator;
  let partial: RunningValidator;
  let fullClient: ValidatorClient;
  let partialClient: ValidatorClient;
  let partialEnvoy: ExtAuthzClient;
  let orgA: string;
  let orgB: string;
  const owners: Record<string, string> = {};

  const person = async (name: string, organisationId: string, permissions = ["orders:read"]) => {
    const { principal } = await api.createPrincipal({ name, kind: PrincipalKind.HUMAN, role: Role.MEMBER, permissions, organisationId });
    return (owners[name] = principal!.id);
  };
  const tokenOf = async (owner: string, name: string, fields: { honeytoken?: boolean; scopes?: string[] } = {}) => {
    const created = await api.createToken({ name, scopes: ["orders:read"], ownerId: owners[owner]!, ...fields });
    return { id: created.token!.id, value: created.tokenValue };
  };
  /** Both replicas have applied everything committed so far. */
  const caughtUp = async () => {
    const head = (await api.listValidators({})).headSeq;
    await eventually(async () => full.follower.replica.appliedSeq >= head && partial.follower.replica.appliedSeq >= head, 5000);
  };
  const forwardAuth = (validator: RunningValidator, value: string) =>
    httpCall(validator.httpPort, "/auth", { headers: ["Authorization", `Bearer ${value}`, "X-Original-URI", "/orders/7"] });
  const introspect = (validator: RunningValidator, caller: string, value: string) =>
    httpCall(validator.httpPort, "/introspect", { method: "POST", headers: ["Authorization", `Bearer ${caller}`, "Content-Type", "application/x-www-form-urlencoded"], body: `token=${encodeURIComponent(value)}` });

  // Made before the partial validator starts: it learns them from its snapshot.
  let earlyA: { id: string; value: string };
  let earlyB: { id: string; value: string };
  let exchangedA: string;
  let exchangedB: string;
  let honeyA: { id: string; value: string };

  beforeAll(async () => {
    database = await createPostgresDatabase();
    const env = { ...deploymentEnv(database, uniqueRedisPrefix()), TESSERA_POLL_INTERVAL_MS: "300", TESSERA_USAGE_FLUSH_MS: "100", TESSERA_USAGE_WRITE_MS: "100", TESSERA_HONEYTOKEN_POLL_MS: "100" };
    admin = await startAdmin(env);
    api = adminClient(admin.port, admin.bootstrapped!.adminToken);
    full = await startValidator({ ...env, TESSERA_VALIDATOR_ID: "full" });
    orgA = (await api.createOrganisation({ name: "acme" })).organisation!.id;
    orgB = (await api.createOrganisation({ name: "globex" })).organisation!.id;
    await person("ann", orgA);
    await person("bob", orgB);
    earlyA = await tokenOf("ann", "ann early");
    earlyB = await tokenOf("bob", "bob early");
    honeyA = await tokenOf("ann", "ann decoy", { honeytoken: true });
    exchangedA = (await adminClient(admin.port, earlyA.value).exchangeToken({ ttl: { seconds: 300n, nanos: 0 } })).tokenValue;
    exchangedB = (await adminClient(admin.port, earlyB.value).exchangeToken({ ttl: { seconds: 300n, nanos: 0 } })).tokenValue;
    partial = await startValidator({ ...env, TESSERA_VALIDATOR_ID: "partial", TESSERA_VALIDATOR_ORGANISATIONS: orgA });
    fullClient = validatorClient(full.grpcPort);
    partialClient = validatorClient(partial.grpcPort);
    partialEnvoy = extAuthzClient(partial.grpcPort);
    await caughtUp();
  });

  afterAll(async () => {
    fullClient?.close();
    partialClient?.close();
    partialEnvoy?.close();
    await partial?.close();
    await full?.close();
    await admin?.close();
    await database?.drop();
  });

  it("loads only A from its snapshot, as the full replica holds A", async () => {
    expect(organisationsHeld(partial.follower.replica)).toEqual([orgA]);
    expect(replicaView(partial.follower.replica)).toEqual(viewOf(replicaView(full.follower.replica), [orgA]));
    expect(partial.follower.replica.findToken(earlyB.id)).toBeUndefined();
  });

  it("answers A's tokens as the full one does, and revokes them as fast", async () => {
    for (const value of [earlyA.value, exchangedA]) {
      const [fromFull, fromPartial] = await Promise.all([fullClient.validate(value, "orders:read"), partialClient.validate(value, "orders:read")]);
      expect(fromPartial).toMatchObject({ valid: true, code: ValidationCode.VALID });
      expect({ ...fromPartial, stalenessMs: 0, freshness: 0 }).toEqual({ ...fromFull, stalenessMs: 0, freshness: 0 });
    }
    expect((await forwardAuth(partial, earlyA.value)).status).toBe(200);

    const later = await tokenOf("ann", "ann later");
    await eventually(async () => (await partialClient.validate(later.value)).valid, 5000);
    await api.revokeToken({ tokenId: later.id });
    await eventually(async () => (await partialClient.validate(later.value)).code === ValidationCode.REVOKED, 5000);
    expect((await fullClient.validate(later.value)).code).toBe(ValidationCode.REVOKED);
    // The exchanged token dies with its parent, here as there.
    await api.revokeToken({ tokenId: earlyA.id });
    await eventually(async () => (await partialClient.validate(exchangedA)).code === ValidationCode.REVOKED, 5000);
    expect((await fullClient.validate(exchangedA)).code).toBe(ValidationCode.REVOKED);
  });

  it("answers NOT_SERVED for B's tokens, forgeries and A's honeytokens alike, over gRPC and forward-auth", async () => {
    const forged = generateToken();
    for (const value of [earlyB.value, exchangedB, forged, honeyA.value]) {
      const answer = await partialClient.validate(value, "orders:read");
      expect(answer).toMatchObject({ valid: false, code: ValidationCode.NOT_SERVED, tokenId: "", organisationId: "" });
      const refused = await forwardAuth(partial, value);
      expect(refused.status).toBe(403);
      expect(refused.body).toBe('{"code":"not_served"}');
      expect(refused.headers["www-authenticate"]).toBeUndefined(); // no verdict on the token
    }
    // ext_authz: the same 403, as PERMISSION_DENIED.
    const checked = await partialEnvoy.check(httpCheck("GET", "/orders/7", { authorization: `Bearer ${earlyB.value}` }));
    expect(checked.status).toMatchObject({ code: 7, message: "not_served" });
    // Metrics count the answers under their own label.
    const metrics = (await httpCall(partial.httpPort, "/metrics")).body;
    expect(metrics).toMatch(/tessera_validator_decisions_total\{surface="grpc",code="not_served"\} [1-9]/);
    expect(metrics).toMatch(/tessera_validator_decisions_total\{surface="forward_auth",code="not_served"\} [1-9]/);
    // The full replica knows which is which.
    expect((await fullClient.validate(earlyB.value, "orders:read")).code).toBe(ValidationCode.VALID);
    expect((await fullClient.validate(forged)).code).toBe(ValidationCode.NOT_FOUND);
    expect((await fullClient.validate(honeyA.value)).code).toBe(ValidationCode.NOT_FOUND);
  });

  it("introspects A's tokens only: B's is inactive, and a caller of B is refused not_served", async () => {
    await person("rs", orgA, ["tessera:introspect"]);
    const server = await tokenOf("rs", "resource server", { scopes: ["tessera:introspect"] });
    const anotherA = await tokenOf("ann", "ann introspected");
    await eventually(async () => (await partialClient.validate(server.value)).valid && (await partialClient.validate(anotherA.value)).valid, 5000);
    expect(JSON.parse((await introspect(partial, server.value, anotherA.value)).body)).toMatchObject({ active: true, client_id: anotherA.id });
    expect((await introspect(partial, server.value, earlyB.value)).body).toBe('{"active":false}');
    const refused = await introspect(partial, earlyB.value, anotherA.value);
    expect([refused.status, refused.body]).toEqual([403, '{"code":"not_served"}']);
  });

  it("reports honeytoken presentations and use as a full validator does", async () => {
    // Presentations to the partial validator over gRPC: one in the test above, one here.
    const audited = async () =>
      (await api.listAuditEvents({ tokenId: honeyA.id, action: "token.honeytoken_used", pageSize: 100 })).events.filter(
        (event) => event.details?.validator_id === "partial" && event.details?.surface === "grpc",
      ).length;
    expect((await partialClient.validate(honeyA.value)).code).toBe(ValidationCode.NOT_SERVED);
    await eventually(async () => (await audited()) === 2, 5000);
    const used = await tokenOf("ann", "ann used");
    await eventually(async () => (await partialClient.validate(used.value)).valid, 5000);
    await eventually(async () => (await api.getToken({ tokenId: used.id })).token?.lastUsedTime !== undefined, 5000);
  });

  it("holds none of B's tokens or principals created or changed after it started, nor a new organisation", async () => {
    const lateB = await tokenOf("bob", "bob late");
    await person("bea", orgB);
    const beaToken = await tokenOf("bea", "bea laptop");
    await api.disableToken({ tokenId: earlyB.id });
    await api.updatePrincipal({ principalId: owners.bob!, permissions: { scopes: ["orders:read", "orders:write"] } });
    await api.updateOrganisation({ organisationId: orgB, settings: { apiTokensEnabled: false } });
    const orgC = (await api.createOrganisation({ name: "initech" })).organisation!.id;
    await person("cid", orgC);
    const cidToken = await tokenOf("cid", "cid laptop");
    // And something of A's, last: once it is held, everything before it was applied.
    const lastA = await tokenOf("ann", "ann last");
    await caughtUp();

    expect(partial.follower.replica.findToken(lastA.id)).toBeDefined();
    expect(organisationsHeld(partial.follower.replica)).toEqual([orgA]);
    expect(replicaView(partial.follower.replica)).toEqual(viewOf(replicaView(full.follower.replica), [orgA]));
    for (const value of [lateB.value, beaToken.value, cidToken.value]) expect((await partialClient.validate(value)).code).toBe(ValidationCode.NOT_SERVED);
    expect((await fullClient.validate(cidToken.value)).code).toBe(ValidationCode.VALID);

    // A snapshot read now, for A only, holds exactly what the events built.
    const reloaded = new Replica();
    reloaded.appliedSeq = await createFeedStore(database.handle.db, undefined, undefined, { scope: organisationScope([orgA]) }).readSnapshot(reloaded);
    expect(replicaView(reloaded)).toEqual({ ...replicaView(partial.follower.replica), appliedSeq: String(reloaded.appliedSeq) });
  });
});
