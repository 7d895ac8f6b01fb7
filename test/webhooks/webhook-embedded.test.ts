import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { timestampFromMs } from "@bufbuild/protobuf/wkt";
import { Code } from "@connectrpc/connect";
import { sql } from "kysely";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { EventType } from "@tessera/shared/gen/tessera/v1/events_pb";
import type { RunningAdmin } from "@tessera/token-admin/start-token-admin";
import { adminClient, eventually } from "../support/clients.js";
import { startAdmin } from "../support/in-process.js";
import { webhookClient } from "../support/webhook-client.js";
import { WebhookReceiver } from "../support/webhook-receiver.js";

// Embedded: PGlite and the in-process bus, no Redis. The same store across restarts.
describe("webhooks in embedded mode (PGlite)", () => {
  let dataDir: string;
  let admin: RunningAdmin | undefined;
  let adminToken: string;
  const receiver = new WebhookReceiver();
  const env = (allowPrivate: boolean) => ({
    TESSERA_DATA_DIR: dataDir, TESSERA_LOG_LEVEL: "silent", TESSERA_WEBHOOK_ALLOW_PRIVATE: String(allowPrivate),
    TESSERA_WEBHOOK_POLL_MS: "50", TESSERA_WEBHOOK_BACKOFF_MS: "50", TESSERA_WEBHOOK_BACKOFF_MAX_MS: "300", TESSERA_NOTICE_SCAN_MS: "200",
  });

  beforeAll(async () => {
    dataDir = mkdtempSync(join(tmpdir(), "tessera-webhooks-"));
    admin = await startAdmin(env(false));
    adminToken = admin.bootstrapped!.adminToken;
    await receiver.start();
  });
  afterAll(async () => {
    await receiver.stop();
    await admin?.close();
    rmSync(dataDir, { recursive: true, force: true });
  });

  it("refuses endpoints on loopback, link-local, private and reserved addresses unless the operator allows them", async () => {
    const hooks = webhookClient(admin!.port, adminToken);
    const refused = [
      "http://127.0.0.1/", "http://localhost:8080/", "http://[::1]/", "http://169.254.169.254/latest/meta-data/", "http://10.1.2.3/",
      "http://192.168.1.1/", "http://172.16.0.1/", "http://100.64.0.1/", "http://[fe80::1]/", "http://[fc00::1]/", "http://0.0.0.0/", "http://[::ffff:127.0.0.1]/",
      "http://2130706433/", "http://0x7f.1/",
    ];
    for (const url of refused) {
      await expect(hooks.createWebhookEndpoint({ url, events: [EventType.TOKEN_CREATED] }), url).rejects.toMatchObject({ code: Code.InvalidArgument, rawMessage: expect.stringContaining("TESSERA_WEBHOOK_ALLOW_PRIVATE") });
    }
    expect((await hooks.listWebhookEndpoints({})).endpoints).toHaveLength(0);
  });

  it("delivers in order and loses nothing across a restart, on PGlite", async () => {
    await admin!.close();
    admin = await startAdmin(env(true));
    const hooks = webhookClient(admin.port, adminToken);
    const created = await hooks.createWebhookEndpoint({ organisationId: "*", url: receiver.url, events: [EventType.TOKEN_CREATED, EventType.TOKEN_REVOKED] });
    receiver.secret = created.secret;
    receiver.delayMs = 30;
    const api = adminClient(admin.port, adminToken);
    const tokens = [];
    for (let i = 0; i < 10; i++) tokens.push(await api.createToken({ name: `embedded ${i}`, scopes: [] }));
    for (const t of tokens.slice(0, 5)) await api.revokeToken({ tokenId: t.token!.id });
    await eventually(async () => receiver.received.length >= 2, 10_000, 5);
    await admin.close();
    admin = await startAdmin(env(true));
    await eventually(async () => receiver.uniqueIds().length === 15, 20_000, 20);
    const first = receiver.uniqueIds().map((id) => receiver.received.find((r) => r.id === id)!);
    expect(first.map((r) => r.feedSeq)).toEqual(first.map((r) => r.feedSeq).sort((a, b) => a - b));
    expect(first.map((r) => r.type)).toEqual([...Array(10).fill("token.created"), ...Array(5).fill("token.revoked")]);
    expect(receiver.rejected).toBe(0);
  });

  it("announces expiry notices and revokes inactive tokens on PGlite too", async () => {
    const hooks = webhookClient(admin!.port, adminToken);
    const created = await hooks.createWebhookEndpoint({ organisationId: "*", url: receiver.url, events: [EventType.TOKEN_EXPIRING, EventType.TOKEN_REVOKED] });
    receiver.secret = created.secret;
    receiver.delayMs = 0;
    const api = adminClient(admin!.port, adminToken);
    const orgId = (await api.createOrganisation({ name: "embedded-notices", settings: { maxInactivity: { seconds: 3600n, nanos: 0 } } })).organisation!.id;
    const owner = (await api.createPrincipal({ organisationId: orgId, name: "eve", kind: 1, role: 4, email: "eve@example.com" })).principal!.id;
    await api.createToken({ name: "expiring on pglite", scopes: [], ownerId: owner, expiry: { kind: { case: "at", value: timestampFromMs(Date.now() + 3 * 86_400_000) } } });
    const stale = await api.createToken({ name: "stale on pglite", scopes: [], ownerId: owner });
    await sql`update token set created_at = now() - interval '2 hours' where id = ${stale.token!.id}`.execute(admin!.deps.db);
    const named = (type: string, name: string) => receiver.received.some((r) => r.type === type && (r.data.token as { name: string }).name === name);
    await eventually(async () => named("token.expiring", "expiring on pglite") && named("token.revoked", "stale on pglite"), 20_000, 50);
    expect((await api.getToken({ tokenId: stale.token!.id })).token!.revocationReason).toBe("inactivity");
  });
});
