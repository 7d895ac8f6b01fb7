import { EventType } from "@tessera/shared/gen/tessera/v1/events_pb";
import { create, fromBinary, toBinary } from "@bufbuild/protobuf";
import { Code, ConnectError } from "@connectrpc/connect";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { CheckResponseSchema } from "@tessera/shared/gen/envoy/service/auth/v3/external_auth_pb";
import { ChangeEventSchema } from "@tessera/shared/gen/tessera/feed/v1/feed_pb";
import { ValidateTokenResponseSchema, ValidationCode, type ValidateTokenResponse } from "@tessera/shared/gen/tessera/v1/validator_pb";
import { generateToken, parseToken } from "@tessera/shared/token/token-format";
import { adminClient, eventually } from "../support/clients.js";
import { startDeployment, type Deployment } from "../support/deployment.js";
import { extAuthzClient, httpCheck, type ExtAuthzClient } from "../load-balancers/support/ext-authz-client.js";
import { httpCall, type HttpAnswer } from "../load-balancers/support/http-call.js";
import { webhookClient, type WebhookClient } from "../support/webhook-client.js";
import { WebhookReceiver } from "../support/webhook-receiver.js";

// A honeytoken must be indistinguishable from an unknown value on every
// surface, and each presentation must reach token-admin's audit log (and the
// webhook endpoints subscribed to token.honeytoken_used, never through the
// change log) with surface, source address, route and time.

/** The answer's bytes; staleness_ms is the one field that moves between any two calls, so it is set to 0 in both. */
const grpcBytes = (answer: ValidateTokenResponse) => Buffer.from(toBinary(ValidateTokenResponseSchema, create(ValidateTokenResponseSchema, { ...answer, stalenessMs: 0 })));
/** An HTTP answer without its Date header (which moves with the clock). */
const comparable = (answer: HttpAnswer) => {
  const { date: _date, ...headers } = answer.headers;
  return { status: answer.status, headers, body: answer.body };
};

describe("honeytokens", () => {
  let d: Deployment;
  let honey: { id: string; value: string };
  let introspector: string;
  let envoy: ExtAuthzClient;
  const startedAt = Date.now();
  // The instance's endpoint and the token's organisation's hear presentations; one subscribed to
  // another event and one of another organisation hear nothing. The organisation's answers 500 at
  // first, so its deliveries go through the ordinary retries.
  let hooks: WebhookClient;
  const endpointIds = new Map<WebhookReceiver, string>();
  const receivers = { instance: new WebhookReceiver(), organisation: new WebhookReceiver(), otherEvent: new WebhookReceiver(), otherOrganisation: new WebhookReceiver() };

  beforeAll(async () => {
    d = await startDeployment({
      TESSERA_HONEYTOKEN_POLL_MS: "100", TESSERA_WEBHOOK_ALLOW_PRIVATE: "true", TESSERA_WEBHOOK_POLL_MS: "50",
      TESSERA_WEBHOOK_BACKOFF_MS: "50", TESSERA_WEBHOOK_BACKOFF_MAX_MS: "200", TESSERA_WEBHOOK_TIMEOUT_MS: "2000", TESSERA_WEBHOOK_LEASE_MS: "5000",
    });
    envoy = extAuthzClient(d.validator.grpcPort);
    const created = await d.adminApi.createToken({ name: "deploy key (decoy)", scopes: ["orders:read"], honeytoken: true });
    honey = { id: created.token!.id, value: created.tokenValue };
    hooks = webhookClient(d.admin.port, d.admin.bootstrapped!.adminToken);
    const other = await d.adminApi.createOrganisation({ name: "elsewhere" });
    receivers.organisation.mode = "fail";
    const subscriptions: [WebhookReceiver, string, EventType][] = [
      [receivers.instance, "*", EventType.TOKEN_HONEYTOKEN_USED],
      [receivers.organisation, created.token!.organisationId, EventType.TOKEN_HONEYTOKEN_USED],
      [receivers.otherEvent, "*", EventType.TOKEN_LEAKED],
      [receivers.otherOrganisation, other.organisation!.id, EventType.TOKEN_HONEYTOKEN_USED],
    ];
    for (const [receiver, organisationId, event] of subscriptions) {
      await receiver.start();
      const created = await hooks.createWebhookEndpoint({ organisationId, url: receiver.url, events: [event], description: "honeytoken test" });
      receiver.secret = created.secret;
      endpointIds.set(receiver, created.endpoint!.id);
    }
    introspector = (await d.adminApi.createToken({ name: "resource server", scopes: ["tessera:introspect"] })).tokenValue;
    // Held by the validator once an ordinary token made after it validates.
    const later = (await d.adminApi.createToken({ name: "probe", scopes: ["orders:read"] })).tokenValue;
    await eventually(async () => (await d.validation.validate(later)).valid, 5000);
  }, 60_000);
  afterAll(async () => {
    envoy?.close();
    await d?.close();
    for (const receiver of Object.values(receivers)) await receiver.stop();
  });

  const usesOf = async () => (await d.adminApi.listAuditEvents({ tokenId: honey.id, action: "token.honeytoken_used", pageSize: 500 })).events;

  it("looks like any other token", async () => {
    expect(parseToken(honey.value)).toBe("personal");
    const { token } = await d.adminApi.getToken({ tokenId: honey.id });
    expect(token?.honeytoken).toBe(true);
    expect(token?.displayHint).toBe(`tsr_pat_…${honey.value.slice(-4)}`);
  });

  it("ValidateToken: the same bytes as for an unknown value, every time", async () => {
    for (let trial = 0; trial < 20; trial++) {
      const [trap, unknown] = [await d.validation.validate(honey.value, "orders:read"), await d.validation.validate(generateToken(), "orders:read")];
      expect(trap.code).toBe(ValidationCode.NOT_FOUND);
      expect(grpcBytes(trap).equals(grpcBytes(unknown))).toBe(true);
    }
  });

  it("ext_authz Check: the same denied response bytes as for an unknown value", async () => {
    const check = (token: string) => envoy.check(httpCheck("GET", "/orders/1", { authorization: `Bearer ${token}` }, { scope: "orders:read" }));
    const trap = Buffer.from(toBinary(CheckResponseSchema, await check(honey.value)));
    const unknown = Buffer.from(toBinary(CheckResponseSchema, await check(generateToken())));
    expect(trap.equals(unknown)).toBe(true);
    expect((await check(honey.value)).status?.code).toBe(16); // UNAUTHENTICATED
  });

  it("forward-auth: the same status, headers and body as for an unknown value", async () => {
    const ask = (token: string) =>
      httpCall(d.validator.httpPort, "/auth?scope=orders:read", {
        headers: ["Authorization", `Bearer ${token}`, "X-Forwarded-For", "203.0.113.7, 10.0.0.1", "X-Forwarded-Method", "POST", "X-Forwarded-Uri", "/orders/42?api_key=s3cret"],
      });
    const trap = comparable(await ask(honey.value));
    expect(trap.status).toBe(401);
    expect(trap).toEqual(comparable(await ask(generateToken())));
  });

  it("introspection: the same answers whether the honeytoken is the caller's credential or the token asked about", async () => {
    const introspect = (bearer: string, token: string) =>
      httpCall(d.validator.httpPort, "/introspect", { method: "POST", headers: ["Authorization", `Bearer ${bearer}`, "Content-Type", "application/x-www-form-urlencoded"], body: `token=${token}` });
    const asCaller = comparable(await introspect(honey.value, introspector));
    expect(asCaller.status).toBe(401);
    expect(asCaller).toEqual(comparable(await introspect(generateToken(), introspector)));
    const asked = comparable(await introspect(introspector, honey.value));
    expect(asked.body).toBe('{"active":false}');
    expect(asked).toEqual(comparable(await introspect(introspector, generateToken())));
  });

  it("the admin API refuses it exactly as an unknown token", async () => {
    const refusal = (token: string) => adminClient(d.admin.port, token).getCaller({}).then(() => undefined, (err: unknown) => ConnectError.from(err));
    const [trap, unknown] = [await refusal(honey.value), await refusal(generateToken())];
    expect(trap?.code).toBe(Code.Unauthenticated);
    expect({ code: trap?.code, message: trap?.rawMessage }).toEqual({ code: unknown?.code, message: unknown?.rawMessage });
  });

  it("every presentation reaches token-admin within seconds, with surface, source address, route and time", async () => {
    // 20 ValidateToken, 2 Check, 1 forward-auth, 2 introspection, 1 admin API (the tests above).
    await eventually(async () => (await usesOf()).length >= 26, 5000).catch(async (err: unknown) => {
      throw new Error(`${String(err)}: ${JSON.stringify((await usesOf()).map((e) => e.details))}`);
    });
    const uses = (await usesOf()).map((event) => event.details as Record<string, string>);
    const bySurface = (surface: string) => uses.filter((use) => use.surface === surface);
    expect(bySurface("grpc")).toHaveLength(20);
    expect(bySurface("grpc")[0]).toMatchObject({ route: "ValidateToken scope=orders:read", source_address: expect.stringContaining("127.0.0.1") });
    expect(bySurface("ext_authz")).toHaveLength(2);
    expect(bySurface("ext_authz")[0]).toMatchObject({ route: "GET /orders/1", source_address: expect.stringContaining("127.0.0.1") });
    expect(bySurface("forward_auth")).toEqual([expect.objectContaining({ route: "POST /orders/42", source_address: "203.0.113.7" })]);
    expect(bySurface("introspect").map((use) => use.route).sort()).toEqual(["POST /introspect (caller's bearer token)", "POST /introspect (token introspected)"]);
    expect(bySurface("admin_api")).toEqual([expect.objectContaining({ route: "tessera.v1.TokenAdminService/GetCaller" })]);
    for (const use of uses) {
      const at = Date.parse(use.used_at!);
      expect(at).toBeGreaterThanOrEqual(startedAt - 1000);
      expect(at).toBeLessThanOrEqual(Date.now());
      expect(use.validator_id === "" ? use.surface : "validator").toBe(use.validator_id === "" ? "admin_api" : "validator");
    }
    // Never in the change log: a row per presentation would move the seq every answer carries.
    const rows = await d.database.handle.db.selectFrom("change_log").select("event").execute();
    const events = rows.map((row) => fromBinary(ChangeEventSchema, row.event)).filter((e) => e.announcements.some((a) => a.token?.id === honey.id && a.type !== EventType.TOKEN_CREATED));
    expect(events).toEqual([]);
  });

  it("each presentation reaches subscribed webhook endpoints as token.honeytoken_used, signed, once per audit row", async () => {
    const uses = await usesOf();
    const expected = uses.map((use) => `msg_honeytoken_${use.id}`).sort();
    expect(expected.length).toBeGreaterThanOrEqual(26);
    // The organisation's endpoint failed first; its rows are retried like any other.
    await eventually(async () => receivers.organisation.requests >= 2, 5000);
    receivers.organisation.mode = "ok";
    for (const receiver of [receivers.instance, receivers.organisation]) {
      await eventually(async () => receiver.uniqueIds().length >= expected.length, 10_000).catch((err: unknown) => {
        throw new Error(`${String(err)}: ${receiver.uniqueIds().length} of ${expected.length}`);
      });
      // Verified by `standardwebhooks` in the receiver; one webhook-id per presentation, the same at both endpoints.
      expect(receiver.rejected).toBe(0);
      expect(receiver.uniqueIds().sort()).toEqual(expected);
      for (const hook of receiver.received) {
        expect(hook.type).toBe("token.honeytoken_used");
        expect(hook.data.id).toBe(hook.id);
        expect(hook.data.feed_seq).toBeNull();
        expect(hook.body).not.toContain(honey.value);
        expect(hook.data.token).toMatchObject({ id: honey.id, name: "deploy key (decoy)", scopes: ["orders:read"] });
        const use = uses.find((u) => `msg_honeytoken_${u.id}` === hook.id)!;
        const { validator_id: _validator, ...told } = use.details as Record<string, string>;
        expect(hook.data.details).toEqual(told);
      }
    }
    expect(receivers.organisation.requests).toBeGreaterThan(receivers.organisation.uniqueIds().length);
    // Listed under the same webhook-ids the receivers saw.
    const listed = (await hooks.listWebhookDeliveries({ endpointId: endpointIds.get(receivers.organisation)!, pageSize: 500 })).deliveries;
    expect(listed.map((delivery) => delivery.id).sort()).toEqual(expected);
    // A dead letter (made one here rather than waiting out the 25 h window) is replayed by that id, and arrives again under it.
    const again = expected[0]!;
    await d.database.handle.db.updateTable("webhook_delivery").set({ state: "dead" }).where("webhook_id", "=", again).where("endpoint_id", "=", endpointIds.get(receivers.organisation)!).execute();
    const sentBefore = receivers.organisation.received.filter((hook) => hook.id === again).length;
    expect((await hooks.replayWebhookDeliveries({ endpointId: endpointIds.get(receivers.organisation)!, deliveryIds: [again] })).replayed).toBe(1);
    await eventually(async () => receivers.organisation.received.filter((hook) => hook.id === again).length === sentBefore + 1, 5000);
    const forwardAuth = receivers.instance.received.find((hook) => (hook.data.details as Record<string, string>).surface === "forward_auth");
    expect(forwardAuth?.data.details).toMatchObject({ source_address: "203.0.113.7", route: "POST /orders/42", used_at: expect.any(String) });
    // Not subscribed to it, or of another organisation: nothing at all.
    expect(receivers.otherEvent.requests).toBe(0);
    expect(receivers.otherOrganisation.requests).toBe(0);
    // Still nothing in the change log (the test above checks the announcements; this, the count).
    const changes = await d.database.handle.db.selectFrom("change_log").select("event").execute();
    expect(changes.flatMap((row) => fromBinary(ChangeEventSchema, row.event).announcements).filter((a) => a.type === EventType.TOKEN_HONEYTOKEN_USED)).toEqual([]);
  }, 30_000);

  it("is listed apart: ordinary listings leave it out, the honeytoken listing shows only honeytokens", async () => {
    const ordinary = (await d.adminApi.listTokens({ pageSize: 500 })).tokens.map((t) => t.id);
    expect(ordinary).not.toContain(honey.id);
    expect(ordinary.length).toBeGreaterThan(1);
    const decoys = (await d.adminApi.listTokens({ pageSize: 500, honeytokens: true })).tokens;
    expect(decoys.map((t) => t.id)).toEqual([honey.id]);
  });

  it("stays unknown once revoked (a revoked answer would say it exists), and is still reported", async () => {
    const before = (await usesOf()).length;
    await d.adminApi.revokeToken({ tokenId: honey.id, awaitValidators: { seconds: 5n } });
    const [trap, unknown] = [await d.validation.validate(honey.value), await d.validation.validate(generateToken())];
    expect(trap.code).toBe(ValidationCode.NOT_FOUND);
    expect(grpcBytes(trap).equals(grpcBytes(unknown))).toBe(true);
    await eventually(async () => (await usesOf()).length === before + 1, 5000);
  });
});
