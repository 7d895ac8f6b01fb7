import { Code, ConnectError } from "@connectrpc/connect";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { EventType } from "@tessera/shared/gen/tessera/v1/events_pb";
import { WebhookDeliveryState } from "@tessera/shared/gen/tessera/v1/webhooks_pb";
import type { RunningAdmin } from "@tessera/token-admin/start-token-admin";
import { adminClient, eventually, type AdminClient } from "../support/clients.js";
import { deploymentEnv, startAdmin } from "../support/in-process.js";
import { createPostgresDatabase, type TestDatabase } from "../support/test-database.js";
import { uniqueRedisPrefix } from "../support/test-redis.js";
import { webhookClient, type WebhookClient } from "../support/webhook-client.js";
import { WebhookReceiver } from "../support/webhook-receiver.js";

// Small retry values so a test sees several retries; private addresses allowed (the receivers are on loopback).
const webhookEnv = {
  TESSERA_WEBHOOK_ALLOW_PRIVATE: "true",
  TESSERA_WEBHOOK_POLL_MS: "50",
  TESSERA_WEBHOOK_BACKOFF_MS: "50",
  TESSERA_WEBHOOK_BACKOFF_MAX_MS: "300",
  TESSERA_WEBHOOK_TIMEOUT_MS: "2000",
  TESSERA_WEBHOOK_LEASE_MS: "5000",
};

const allTokenEvents = [EventType.TOKEN_CREATED, EventType.TOKEN_REVOKED, EventType.TOKEN_DISABLED, EventType.TOKEN_ENABLED, EventType.TOKEN_DELETED, EventType.TOKEN_REGENERATED];

/** Every distinct event arrived once verified, in feed order of first arrival, and exactly the expected ones. */
function expectInOrderOnce(receiver: WebhookReceiver, expectedCount: number): void {
  const ids = receiver.uniqueIds();
  expect(ids).toHaveLength(expectedCount);
  const firstSeqs = ids.map((id) => receiver.received.find((r) => r.id === id)!.feedSeq);
  expect(firstSeqs).toEqual([...firstSeqs].sort((a, b) => a - b));
  expect(receiver.rejected).toBe(0);
}

describe("webhooks on Postgres", () => {
  let database: TestDatabase;
  let env: Record<string, string>;
  let admin: RunningAdmin;
  let adminApi: AdminClient;
  let hooks: WebhookClient;
  let adminToken: string;
  const receivers: WebhookReceiver[] = [];
  const extraAdmins: RunningAdmin[] = [];

  beforeAll(async () => {
    database = await createPostgresDatabase();
    env = { ...deploymentEnv(database, uniqueRedisPrefix()), ...webhookEnv };
    admin = await startAdmin(env);
    adminToken = admin.bootstrapped!.adminToken;
    adminApi = adminClient(admin.port, adminToken);
    hooks = webhookClient(admin.port, adminToken);
  });
  afterEach(async () => {
    for (const receiver of receivers.splice(0)) await receiver.stop();
    // Endpoints of one test must not take slots from the next.
    for (const endpoint of (await hooks.listWebhookEndpoints({})).endpoints) await hooks.deleteWebhookEndpoint({ endpointId: endpoint.id });
  });
  afterAll(async () => {
    for (const extra of extraAdmins) await extra.close();
    await admin?.close();
    await database?.drop();
  });

  async function receiverWithEndpoint(events = allTokenEvents, client = hooks): Promise<{ receiver: WebhookReceiver; endpointId: string }> {
    const receiver = new WebhookReceiver();
    receivers.push(receiver);
    await receiver.start();
    const created = await client.createWebhookEndpoint({ organisationId: "*", url: receiver.url, events, description: "test" });
    receiver.secret = created.secret;
    return { receiver, endpointId: created.endpoint!.id };
  }

  it("delivers every lifecycle event signed, in order, with no token value in it", async () => {
    const { receiver } = await receiverWithEndpoint();
    const created = await adminApi.createToken({ name: "hooked", scopes: [] });
    const id = created.token!.id;
    await adminApi.disableToken({ tokenId: id });
    await adminApi.enableToken({ tokenId: id });
    const regenerated = await adminApi.regenerateToken({ tokenId: id });
    await adminApi.revokeToken({ tokenId: id });
    await adminApi.deleteTokens({ tokenIds: [id] });
    await eventually(async () => receiver.uniqueIds().length === 6, 10_000, 20);
    expect(receiver.received.map((r) => r.type)).toEqual(["token.created", "token.disabled", "token.enabled", "token.regenerated", "token.revoked", "token.deleted"]);
    expectInOrderOnce(receiver, 6);
    const revoked = receiver.received[4]!;
    expect(revoked.data).toMatchObject({ organisation_id: created.token!.organisationId, actor_id: created.token!.createdBy, details: { reason: "manual" } });
    expect(revoked.data.token).toMatchObject({ id, name: "hooked", level: "user", display_hint: regenerated.token!.displayHint });
    const metrics = await (await fetch(`http://127.0.0.1:${admin.port}/metrics`)).text();
    expect(metrics).toMatch(/tessera_webhook_deliveries_total\{outcome="delivered"\} ([6-9]|\d\d+)/);
    expect(metrics).toContain("# TYPE tessera_webhook_queue_depth gauge");
    expect(metrics).toContain("# TYPE tessera_webhook_queue_oldest_age_seconds gauge");
    for (const r of receiver.received) {
      expect(r.body).not.toContain(created.tokenValue);
      expect(r.body).not.toContain(regenerated.tokenValue);
      expect(r.body).not.toMatch(/digest/);
    }
  });

  it("loses nothing while the receiver is down: every event arrives once verified and in order after it returns", async () => {
    const { receiver } = await receiverWithEndpoint([EventType.TOKEN_CREATED]);
    const total = 30;
    for (let i = 0; i < 10; i++) await adminApi.createToken({ name: `before ${i}`, scopes: [] });
    await eventually(async () => receiver.received.length >= 3, 10_000, 5);
    await receiver.stop(); // killed mid-run: some deliveries in flight are cut
    for (let i = 10; i < total; i++) await adminApi.createToken({ name: `during ${i}`, scopes: [] });
    const requestsWhileDown = receiver.requests;
    await new Promise((resolve) => setTimeout(resolve, 300)); // several failed attempts, backing off
    await receiver.start();
    await eventually(async () => receiver.uniqueIds().length === total, 20_000, 20);
    expectInOrderOnce(receiver, total);
    expect(receiver.received.map((r) => (r.data.token as { name: string }).name)).toEqual(
      expect.arrayContaining([...Array(total).keys()].map((i) => (i < 10 ? `before ${i}` : `during ${i}`))),
    );
    expect(receiver.requests).toBeGreaterThan(requestsWhileDown);
  });

  it("dead-letters after the retry window and replays on request, with the same webhook-id", async () => {
    const short = await startAdmin({ ...env, TESSERA_WEBHOOK_RETRY_FOR_MS: "400" });
    extraAdmins.push(short);
    const { receiver, endpointId } = await receiverWithEndpoint([EventType.TOKEN_CREATED]);
    receiver.mode = "fail";
    for (let i = 0; i < 3; i++) await adminApi.createToken({ name: `doomed ${i}`, scopes: [] });
    await eventually(async () => (await fetch(`http://127.0.0.1:${admin.port}/metrics`).then((r) => r.text())).includes(`tessera_webhook_queue_depth{endpoint="${endpointId}"} `), 10_000, 5);
    await eventually(async () => (await hooks.listWebhookDeliveries({ endpointId, state: WebhookDeliveryState.DEAD })).deliveries.length === 3, 15_000, 50);
    const dead = (await hooks.listWebhookDeliveries({ endpointId, state: WebhookDeliveryState.DEAD })).deliveries;
    expect(dead.every((d) => d.lastError.length > 0)).toBe(true);
    expect((await hooks.listWebhookEndpoints({})).endpoints.find((e) => e.id === endpointId)!.deadDeliveries).toBe(3n);
    expect(receiver.received).toHaveLength(0);
    receiver.mode = "ok";
    const replay = await hooks.replayWebhookDeliveries({ endpointId, deliveryIds: [dead[0]!.id] });
    expect(replay.replayed).toBe(1);
    await eventually(async () => receiver.received.length === 1, 10_000, 20);
    expect(receiver.received[0]!.id).toBe(dead[0]!.id);
    expect((await hooks.replayWebhookDeliveries({ endpointId, deliveryIds: [] })).replayed).toBe(2);
    await eventually(async () => receiver.uniqueIds().length === 3, 10_000, 20);
    expect(receiver.rejected).toBe(0);
    await short.close();
    extraAdmins.splice(extraAdmins.indexOf(short), 1);
  });

  it("never lets a hanging endpoint hold up another or a write", async () => {
    const slow = await startAdmin({ ...env, TESSERA_WEBHOOK_TIMEOUT_MS: "20000", TESSERA_WEBHOOK_LEASE_MS: "60000" });
    extraAdmins.push(slow);
    const hanging = await receiverWithEndpoint([EventType.TOKEN_CREATED]);
    hanging.receiver.mode = "hang";
    const healthy = await receiverWithEndpoint([EventType.TOKEN_CREATED]);
    for (let i = 0; i < 10; i++) await adminApi.createToken({ name: `busy ${i}`, scopes: [] });
    // The healthy endpoint gets all ten while the hanging one has not answered even its first.
    await eventually(async () => healthy.receiver.uniqueIds().length === 10, 10_000, 20);
    expect(hanging.receiver.requests).toBeGreaterThan(0);
    expect(hanging.receiver.received).toHaveLength(0);
    expectInOrderOnce(healthy.receiver, 10);
    await hanging.receiver.stop();
    await slow.close();
    extraAdmins.splice(extraAdmins.indexOf(slow), 1);
  });

  it("two replicas deliver each event exactly once between them", async () => {
    const second = await startAdmin(env);
    extraAdmins.push(second);
    const endpoints = await Promise.all([1, 2, 3].map(() => receiverWithEndpoint([EventType.TOKEN_CREATED])));
    const total = 40;
    // A few writers at a time, as clients would: the point is the replicas, not the pool.
    for (let i = 0; i < total; i += 4) await Promise.all([0, 1, 2, 3].map((j) => adminApi.createToken({ name: `shared ${i + j}`, scopes: [] })));
    for (const { receiver } of endpoints) {
      await eventually(async () => receiver.uniqueIds().length === total, 20_000, 20);
    }
    // Both replicas served endpoints, and no event reached any endpoint twice.
    for (const { receiver } of endpoints) {
      expect(receiver.received).toHaveLength(total);
      expectInOrderOnce(receiver, total);
    }
    await second.close();
    extraAdmins.splice(extraAdmins.indexOf(second), 1);
  });

  it("loses nothing when token-admin restarts during delivery; repeats share a webhook-id", async () => {
    const { receiver } = await receiverWithEndpoint([EventType.TOKEN_CREATED]);
    receiver.delayMs = 40;
    const total = 25;
    for (let i = 0; i < total; i++) await adminApi.createToken({ name: `restart ${i}`, scopes: [] });
    await eventually(async () => receiver.received.length >= 3, 10_000, 5);
    await admin.close(); // mid-delivery
    expect(receiver.uniqueIds().length).toBeLessThan(total);
    admin = await startAdmin(env);
    adminApi = adminClient(admin.port, adminToken);
    hooks = webhookClient(admin.port, adminToken);
    await eventually(async () => receiver.uniqueIds().length === total, 20_000, 20);
    expectInOrderOnce(receiver, total);
    // At least once: a delivery cut by the restart may come twice, never more than once extra.
    expect(receiver.received.length).toBeLessThanOrEqual(total + 1);
  });

  it("does not follow redirects", async () => {
    const target = await receiverWithEndpoint([EventType.TOKEN_CREATED]);
    const redirecting = await receiverWithEndpoint([EventType.TOKEN_CREATED]);
    redirecting.receiver.mode = "redirect";
    redirecting.receiver.redirectTo = target.receiver.url;
    await hooks.deleteWebhookEndpoint({ endpointId: target.endpointId });
    await adminApi.createToken({ name: "redirected", scopes: [] });
    await eventually(async () => redirecting.receiver.requests >= 2, 10_000, 20);
    const [delivery] = (await hooks.listWebhookDeliveries({ endpointId: redirecting.endpointId })).deliveries;
    expect(delivery!.state).toBe(WebhookDeliveryState.PENDING);
    expect(delivery!.lastError).toMatch(/307.*redirects are not followed/);
    expect(target.receiver.requests).toBe(0);
  });

  it("authorises like the other admin RPCs: org admins for their organisation, admins for the instance", async () => {
    const org = await adminApi.createOrganisation({ name: "hooks-org" });
    const orgId = org.organisation!.id;
    const orgAdmin = await adminApi.createPrincipal({ organisationId: orgId, name: "hook-admin", kind: 1, role: 2, permissions: [] });
    const member = await adminApi.createPrincipal({ organisationId: orgId, name: "hook-member", kind: 1, role: 4, permissions: [] });
    const tokenOf = async (principalId: string) => (await adminApi.createToken({ name: "admin api", scopes: [], admin: true, ownerId: principalId })).tokenValue;
    const asOrgAdmin = webhookClient(admin.port, await tokenOf(orgAdmin.principal!.id));
    const asMember = webhookClient(admin.port, await tokenOf(member.principal!.id));
    const receiver = new WebhookReceiver();
    receivers.push(receiver);
    await receiver.start();
    const request = { url: receiver.url, events: [EventType.TOKEN_CREATED] };
    const own = await asOrgAdmin.createWebhookEndpoint(request);
    expect(own.endpoint!.organisationId).toBe(orgId);
    await expect(asOrgAdmin.createWebhookEndpoint({ ...request, organisationId: "*" })).rejects.toMatchObject({ code: Code.NotFound });
    await expect(asMember.createWebhookEndpoint(request)).rejects.toBeInstanceOf(ConnectError);
    await expect(asMember.listWebhookEndpoints({})).rejects.toMatchObject({ code: Code.PermissionDenied });
    const instanceReceiver = await receiverWithEndpoint([EventType.TOKEN_CREATED]);
    const instanceId = instanceReceiver.endpointId;
    // The org admin sees its own endpoint only; the instance's is not found to it.
    expect((await asOrgAdmin.listWebhookEndpoints({})).endpoints.map((e) => e.id)).toEqual([own.endpoint!.id]);
    await expect(asOrgAdmin.deleteWebhookEndpoint({ endpointId: instanceId })).rejects.toMatchObject({ code: Code.NotFound });
    await expect(asOrgAdmin.listWebhookDeliveries({ endpointId: instanceId })).rejects.toMatchObject({ code: Code.NotFound });
    // An organisation's endpoint hears its own organisation only; the instance's hears every one.
    receiver.secret = own.secret;
    await adminApi.createToken({ name: "elsewhere", scopes: [] });
    await adminApi.createToken({ name: "in org", scopes: [], ownerId: member.principal!.id });
    const names = (r: WebhookReceiver) => r.received.map((w) => (w.data.token as { name: string }).name);
    await eventually(async () => names(instanceReceiver.receiver).length === 2 && names(receiver).length >= 1, 10_000, 20);
    expect(names(receiver)).toEqual(["in org"]);
    expect(names(instanceReceiver.receiver)).toEqual(["elsewhere", "in org"]);
    expect(receiver.rejected + instanceReceiver.receiver.rejected).toBe(0);
  });

  it("refuses bad input with INVALID_ARGUMENT and writes nothing", async () => {
    const before = (await hooks.listWebhookEndpoints({})).endpoints.length;
    for (const url of ["ftp://example.com/", "not a url", "http://user:pw@127.0.0.1/", "http://127.0.0.1/#frag", `http://127.0.0.1/${"a".repeat(3000)}`]) {
      await expect(hooks.createWebhookEndpoint({ organisationId: "*", url, events: [EventType.TOKEN_CREATED] })).rejects.toMatchObject({ code: Code.InvalidArgument });
    }
    await expect(hooks.createWebhookEndpoint({ organisationId: "*", url: "http://127.0.0.1/", events: [] })).rejects.toMatchObject({ code: Code.InvalidArgument });
    await expect(hooks.createWebhookEndpoint({ organisationId: "*", url: "http://127.0.0.1/", events: [99 as EventType] })).rejects.toMatchObject({ code: Code.InvalidArgument });
    await expect(hooks.rotateWebhookSecret({ endpointId: "00000000-0000-4000-8000-000000000000" })).rejects.toMatchObject({ code: Code.NotFound });
    await expect(hooks.replayWebhookDeliveries({ endpointId: "00000000-0000-4000-8000-000000000000", deliveryIds: ["drop table"] })).rejects.toMatchObject({ code: Code.InvalidArgument });
    expect((await hooks.listWebhookEndpoints({})).endpoints.length).toBe(before);
  });

  it("signs with both secrets during a rotation's overlap, then with the new one only", async () => {
    const { receiver, endpointId } = await receiverWithEndpoint([EventType.TOKEN_CREATED]);
    const oldSecret = receiver.secret;
    const { secret } = await hooks.rotateWebhookSecret({ endpointId, overlapSeconds: 3600 });
    await adminApi.createToken({ name: "rotating", scopes: [] });
    await eventually(async () => receiver.received.length === 1, 10_000, 20); // verified with the old secret
    receiver.secret = secret;
    await adminApi.createToken({ name: "rotated", scopes: [] });
    await eventually(async () => receiver.received.length === 2, 10_000, 20); // and with the new one
    await hooks.rotateWebhookSecret({ endpointId, overlapSeconds: 0 });
    receiver.secret = oldSecret;
    await adminApi.createToken({ name: "old secret refused", scopes: [] });
    await eventually(async () => receiver.rejected > 0, 10_000, 20);
  });
});
