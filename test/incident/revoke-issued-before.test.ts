import { fromBinary } from "@bufbuild/protobuf";
import { timestampDate, timestampFromMs } from "@bufbuild/protobuf/wkt";
import { ChangeEventSchema } from "@tessera/shared/gen/tessera/feed/v1/feed_pb";
import { EventType } from "@tessera/shared/gen/tessera/v1/events_pb";
import { Code, ConnectError, createClient, type Client } from "@connectrpc/connect";
import { createGrpcTransport } from "@connectrpc/connect-node";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ExpiryUnit } from "@tessera/shared/gen/tessera/v1/admin_pb";
import { PrincipalKind, Role } from "@tessera/shared/gen/tessera/v1/identity_pb";
import { IncidentService } from "@tessera/shared/gen/tessera/v1/incident_pb";
import { TokenLevel } from "@tessera/shared/gen/tessera/v1/token_pb";
import { ValidationCode } from "@tessera/shared/gen/tessera/v1/validator_pb";
import { adminClient, validatorClient, type AdminClient, type ValidatorClient } from "../support/clients.js";
import { startEmbeddedInProcess, type EmbeddedDeployment } from "../support/embedded-in-process.js";
import { startValidator } from "../support/in-process.js";
import { startLoadBalancerDeployment, type LoadBalancerDeployment } from "../load-balancers/support/deployment.js";
import { extAuthzClient, httpCheck, type ExtAuthzClient } from "../load-balancers/support/ext-authz-client.js";
import { httpCall } from "../load-balancers/support/http-call.js";
import { tesseraCli, waitUntilPast } from "./support.js";

type IncidentClient = Client<typeof IncidentService>;

const incidentClient = (port: number, token: string): IncidentClient =>
  createClient(IncidentService, createGrpcTransport({ baseUrl: `http://127.0.0.1:${port}`, interceptors: [(next) => (req) => (req.header.set("authorization", `Bearer ${token}`), next(req))] }));

const inAnHour = { kind: { case: "after" as const, value: { amount: 1, unit: ExpiryUnit.HOURS } } };
const form = "application/x-www-form-urlencoded";

/** What each of the validator's four surfaces answers for one value (GET /orders needs orders:read). */
interface SurfaceAnswers {
  grpc: ValidationCode;
  extAuthz: number;
  forwardAuth: number;
  introspect: boolean;
}

async function codeOf(call: Promise<unknown>): Promise<Code | "ok"> {
  try {
    await call;
    return "ok";
  } catch (err) {
    return ConnectError.from(err).code;
  }
}

describe("incident response: revoke every token issued before T, in one change", () => {
  let d: LoadBalancerDeployment;
  let admin: AdminClient;
  let incidents: IncidentClient;
  let grpc: ValidatorClient;
  let envoy: ExtAuthzClient;
  let resourceServer: string;
  let groupId: string;
  const people: Record<string, string> = {};
  /** Every value issued here, for the restart comparison. */
  const issued: string[] = [];

  const answers = async (value: string): Promise<SurfaceAnswers> => {
    const validated = await grpc.validate(value, "orders:read");
    const checked = await envoy.check(httpCheck("GET", "/orders/7", { authorization: `Bearer ${value}` }));
    const forwarded = await httpCall(d.validator.httpPort, "/auth", { headers: ["Authorization", `Bearer ${value}`, "X-Original-URI", "/orders/7"] });
    const introspected = await httpCall(d.validator.httpPort, "/introspect", { method: "POST", headers: ["Authorization", `Bearer ${resourceServer}`, "Content-Type", form], body: `token=${encodeURIComponent(value)}` });
    return { grpc: validated.code, extAuthz: checked.status?.code ?? -1, forwardAuth: forwarded.status, introspect: (JSON.parse(introspected.body) as { active: boolean }).active };
  };
  const accepted: SurfaceAnswers = { grpc: ValidationCode.VALID, extAuthz: 0, forwardAuth: 200, introspect: true };
  // Refused as a revoked token is: REVOKED over gRPC, denied (PERMISSION_DENIED = 7 … any non-OK) by Envoy, 401 to proxies, inactive to introspection.
  const expectRefused = async (value: string) => {
    const got = await answers(value);
    expect(got.grpc).toBe(ValidationCode.REVOKED);
    expect(got.extAuthz).not.toBe(0);
    expect(got.forwardAuth).toBe(401);
    expect(got.introspect).toBe(false);
  };

  const person = async (name: string, options: { groupId?: string; organisationId?: string; role?: Role } = {}) => {
    const { principal } = await admin.createPrincipal({ name, kind: PrincipalKind.HUMAN, permissions: ["orders:read"], role: options.role ?? Role.MEMBER, groupId: options.groupId ?? "", organisationId: options.organisationId ?? "" });
    people[name] = principal!.id;
    return principal!.id;
  };
  const tokenFor = async (ownerId: string, name: string, adminOption = false) => {
    const created = await admin.createToken({ name, scopes: ["orders:read"], ownerId, expiry: inAnHour, admin: adminOption });
    issued.push(created.tokenValue);
    return { id: created.token!.id, value: created.tokenValue };
  };
  const held = async (id: string) => {
    for (let i = 0; i < 200 && d.validator.follower.replica.findToken(id) === undefined; i++) await new Promise((r) => setTimeout(r, 10));
  };

  beforeAll(async () => {
    d = await startLoadBalancerDeployment();
    admin = d.client;
    incidents = incidentClient(d.admin.port, d.adminToken);
    grpc = validatorClient(d.validator.grpcPort);
    envoy = extAuthzClient(d.validator.grpcPort);
    resourceServer = (await d.issue(["tessera:introspect"])).value;
    issued.push(resourceServer);
    groupId = (await admin.createGroup({ name: "night-shift" })).group!.id;
    await person("ann", { groupId });
    await person("bob");
    await person("dave", { groupId });
  });

  afterAll(async () => {
    grpc?.close();
    envoy?.close();
    await d?.close();
  });

  it("refuses a principal's earlier tokens on every surface and the admin API once acknowledged, and accepts the rest and later ones", async () => {
    const annOld = await tokenFor(people.ann!, "ann laptop");
    const annAdmin = await tokenFor(people.ann!, "ann admin", true);
    const bobOld = await tokenFor(people.bob!, "bob laptop");
    await held(bobOld.id);
    expect(await answers(annOld.value)).toEqual(accepted);
    expect(await codeOf(adminClient(d.admin.port, annAdmin.value).getCaller({}))).toBe("ok");

    const done = await incidents.revokeIssuedBefore({ target: { case: "principalId", value: people.ann! }, reason: "laptop stolen", awaitValidators: { seconds: 5n } });
    expect(done.seq).toBeGreaterThan(0n);
    expect(done.acknowledgement).toMatchObject({ applied: 1, live: 1, complete: true });
    const cutoffMs = timestampDate(done.tokensNotBefore!).getTime();
    expect(cutoffMs % 1000).toBe(0);

    // Acknowledged means applied: refused at once, no waiting.
    await expectRefused(annOld.value);
    await expectRefused(annAdmin.value);
    expect(await codeOf(adminClient(d.admin.port, annAdmin.value).getCaller({}))).toBe(Code.Unauthenticated);
    expect(await answers(bobOld.value)).toEqual(accepted);
    // No token was touched: the records still say active.
    expect((await admin.getToken({ tokenId: annOld.id })).token!.revokeTime).toBeUndefined();

    // Issued after the cut-off: works everywhere.
    await waitUntilPast(cutoffMs);
    const annNew = await tokenFor(people.ann!, "ann new laptop");
    await held(annNew.id);
    expect(await answers(annNew.value)).toEqual(accepted);

    const audit = await admin.listAuditEvents({ action: "tokens.revoke_issued_before" });
    expect(audit.events[0]).toMatchObject({ action: "tokens.revoke_issued_before", principalId: people.ann });
    expect(audit.events[0]!.details).toMatchObject({ target_kind: "principal", target_id: people.ann, reason: "laptop stolen", changed: true });
    // Announced with the change, for webhook endpoints subscribed to tokens.revoked_issued_before.
    const row = await d.database.handle.db.selectFrom("change_log").select("event").where("seq", "=", String(done.seq)).executeTakeFirstOrThrow();
    expect(fromBinary(ChangeEventSchema, row.event).announcements).toMatchObject([
      { type: EventType.TOKENS_REVOKED_ISSUED_BEFORE, principalId: people.ann, details: { target_kind: "principal", target_id: people.ann, reason: "laptop stolen" } },
    ]);
  });

  it("a group's cut-off stops its principals' tokens and its group-level tokens, and nobody else's", async () => {
    const daveOld = await tokenFor(people.dave!, "dave laptop");
    const groupToken = await admin.createToken({ name: "night-shift robot", scopes: ["orders:read"], level: TokenLevel.GROUP, groupId, expiry: inAnHour });
    issued.push(groupToken.tokenValue);
    const bobOld = await tokenFor(people.bob!, "bob desktop");
    await held(bobOld.id);
    expect(await answers(groupToken.tokenValue)).toEqual(accepted);

    const done = await incidents.revokeIssuedBefore({ target: { case: "groupId", value: groupId }, awaitValidators: { seconds: 5n } });
    expect(done.acknowledgement?.complete).toBe(true);
    await expectRefused(daveOld.value);
    await expectRefused(groupToken.tokenValue);
    expect(await answers(bobOld.value)).toEqual(accepted);
  });

  it("an organisation's cut-off stops all its tokens and none of another organisation's", async () => {
    const { organisation } = await admin.createOrganisation({ name: "globex" });
    const carol = await person("carol", { organisationId: organisation!.id });
    const carolOld = await tokenFor(carol, "carol ci");
    const bobOld = await tokenFor(people.bob!, "bob tablet");
    await held(bobOld.id);
    // The resource server belongs to the built-in admin, who holds every scope: it may introspect any organisation's tokens.
    expect(await answers(carolOld.value)).toEqual(accepted);

    const run = await tesseraCli(d.admin.port, ["incident", "revoke-issued-before", "--org", organisation!.id, "--reason", "breach", "--wait", "5s", "--yes"], d.adminToken);
    expect(run.err).toBe("");
    expect(run.code).toBe(0);
    expect(run.out).toMatch(/created before \d{4}-.*Z are refused \(feed position \d+\); 1 of 1 validators applied it\./);
    await expectRefused(carolOld.value);
    expect(await answers(bobOld.value)).toEqual(accepted);
  });

  it("only moves forward: an earlier instant changes nothing and is still audited", async () => {
    const before = await incidents.revokeIssuedBefore({ target: { case: "principalId", value: people.dave! } });
    const earlier = await incidents.revokeIssuedBefore({ target: { case: "principalId", value: people.dave! }, issuedBefore: timestampFromMs(Date.now() - 3_600_000) });
    expect(earlier.seq).toBe(0n);
    expect(timestampDate(earlier.tokensNotBefore!)).toEqual(timestampDate(before.tokensNotBefore!));
    const audit = await admin.listAuditEvents({ action: "tokens.revoke_issued_before", pageSize: 1 });
    expect(audit.events[0]!.details).toMatchObject({ changed: false });
  });

  it("refuses bad input and callers out of reach, changing nothing", async () => {
    const bobAdmin = await tokenFor(people.bob!, "bob admin", true);
    await held(bobAdmin.id);
    const head = d.validator.follower.replica.appliedSeq;
    expect(await codeOf(incidents.revokeIssuedBefore({ target: { case: "principalId", value: people.bob! }, issuedBefore: timestampFromMs(Date.now() + 60_000) }))).toBe(Code.InvalidArgument);
    expect(await codeOf(incidents.revokeIssuedBefore({}))).toBe(Code.InvalidArgument);
    expect(await codeOf(incidents.revokeIssuedBefore({ target: { case: "groupId", value: "not-a-uuid" } }))).toBe(Code.InvalidArgument);
    expect(await codeOf(incidents.revokeIssuedBefore({ target: { case: "principalId", value: "00000000-0000-4000-8000-000000000000" } }))).toBe(Code.NotFound);
    expect(await codeOf(incidents.revokeIssuedBefore({ target: { case: "principalId", value: people.bob! }, reason: "x".repeat(501) }))).toBe(Code.InvalidArgument);
    // A member: not another principal, not a group; itself, yes.
    const asBob = incidentClient(d.admin.port, bobAdmin.value);
    expect(await codeOf(asBob.revokeIssuedBefore({ target: { case: "principalId", value: people.ann! } }))).toBe(Code.NotFound);
    expect(await codeOf(asBob.revokeIssuedBefore({ target: { case: "groupId", value: groupId } }))).toBe(Code.NotFound);
    expect(await codeOf(incidentClient(d.admin.port, "tsr_pat_nonsense").revokeIssuedBefore({ target: { case: "principalId", value: people.bob! } }))).toBe(Code.Unauthenticated);
    expect(d.validator.follower.replica.appliedSeq).toBe(head);
    const own = await asBob.revokeIssuedBefore({ target: { case: "principalId", value: people.bob! }, awaitValidators: { seconds: 5n } });
    expect(own.acknowledgement?.complete).toBe(true);
    await expectRefused(bobAdmin.value);
  });

  it("survives a validator restart: a fresh snapshot answers every token as the running validator does", async () => {
    const fresh = await startValidator({ ...d.env, TESSERA_ROUTES: JSON.stringify([{ method: "GET", prefix: "/orders", scope: "orders:read" }]) });
    const client = validatorClient(fresh.grpcPort);
    try {
      const running = await Promise.all(issued.map(async (value) => (await grpc.validate(value)).code));
      const restarted = await Promise.all(issued.map(async (value) => (await client.validate(value)).code));
      expect(restarted).toEqual(running);
      // Both kinds are among them: the comparison is not of all-refused or all-accepted.
      expect(running.filter((code) => code === ValidationCode.REVOKED).length).toBeGreaterThanOrEqual(5);
      expect(running).toContain(ValidationCode.VALID);
      expect(fresh.follower.replica.principals.get(people.ann!)?.tokensNotBefore).toBeGreaterThan(0);
      expect(fresh.follower.replica.principals.get(people.dave!)?.group?.tokensNotBefore).toBeGreaterThan(0);
    } finally {
      client.close();
      await fresh.close();
    }
  });
});

describe("incident response in embedded mode (PGlite, in-process bus)", () => {
  let e: EmbeddedDeployment;
  beforeAll(async () => {
    e = await startEmbeddedInProcess();
  });
  afterAll(() => e?.close());

  it("refuses a principal's earlier tokens once acknowledged, accepts later ones, and keeps the cut-off across a validator restart", async () => {
    const admin = adminClient(e.admin.port, e.admin.bootstrapped!.adminToken);
    const { principal } = await admin.createPrincipal({ name: "erin", kind: PrincipalKind.HUMAN, permissions: ["orders:read"] });
    const old = await admin.createToken({ name: "erin old", scopes: ["orders:read"], ownerId: principal!.id, expiry: inAnHour });
    const grpc = validatorClient(e.validator.grpcPort);
    try {
      for (let i = 0; i < 200 && !(await grpc.validate(old.tokenValue)).valid; i++) await new Promise((r) => setTimeout(r, 10));
      expect((await grpc.validate(old.tokenValue, "orders:read")).code).toBe(ValidationCode.VALID);
      const done = await incidentClient(e.admin.port, e.admin.bootstrapped!.adminToken).revokeIssuedBefore({ target: { case: "principalId", value: principal!.id }, awaitValidators: { seconds: 5n } });
      expect(done.acknowledgement).toMatchObject({ applied: 1, live: 1, complete: true });
      expect((await grpc.validate(old.tokenValue, "orders:read")).code).toBe(ValidationCode.REVOKED);
      await waitUntilPast(timestampDate(done.tokensNotBefore!).getTime());
      const fresh = await admin.createToken({ name: "erin new", scopes: ["orders:read"], ownerId: principal!.id, expiry: inAnHour });
      for (let i = 0; i < 200 && !(await grpc.validate(fresh.tokenValue)).valid; i++) await new Promise((r) => setTimeout(r, 10));
      expect((await grpc.validate(fresh.tokenValue, "orders:read")).code).toBe(ValidationCode.VALID);
    } finally {
      grpc.close();
    }
  });
});
