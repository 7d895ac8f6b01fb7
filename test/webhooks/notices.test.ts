import { timestampFromMs } from "@bufbuild/protobuf/wkt";
import { sql } from "kysely";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { EventType } from "@tessera/shared/gen/tessera/v1/events_pb";
import { PrincipalKind, Role } from "@tessera/shared/gen/tessera/v1/identity_pb";
import { TokenLevel, TokenStatus } from "@tessera/shared/gen/tessera/v1/token_pb";
import type { RunningAdmin } from "@tessera/token-admin/start-token-admin";
import { adminClient, eventually, type AdminClient } from "../support/clients.js";
import { deploymentEnv, startAdmin } from "../support/in-process.js";
import { startSmtpReceiver, type ReceivedEmail } from "../support/smtp-receiver.js";
import { createPostgresDatabase, type TestDatabase } from "../support/test-database.js";
import { uniqueRedisPrefix } from "../support/test-redis.js";
import { webhookClient } from "../support/webhook-client.js";
import { WebhookReceiver } from "../support/webhook-receiver.js";

const day = 86_400_000;

describe("expiry notices and the inactivity policy (two replicas, a real SMTP server, a real receiver)", () => {
  let database: TestDatabase;
  let smtp: Awaited<ReturnType<typeof startSmtpReceiver>>;
  let env: Record<string, string>;
  let replicas: RunningAdmin[] = [];
  let api: AdminClient;
  let orgId: string;
  let adminToken: string;
  let owner: string;
  const receiver = new WebhookReceiver();

  beforeAll(async () => {
    database = await createPostgresDatabase();
    smtp = await startSmtpReceiver();
    await receiver.start();
    env = {
      ...deploymentEnv(database, uniqueRedisPrefix()),
      TESSERA_WEBHOOK_ALLOW_PRIVATE: "true", TESSERA_WEBHOOK_POLL_MS: "50", TESSERA_WEBHOOK_BACKOFF_MS: "50", TESSERA_WEBHOOK_BACKOFF_MAX_MS: "200",
      TESSERA_NOTICE_SCAN_MS: "100", TESSERA_SMTP_URL: `smtp://127.0.0.1:${smtp.port}`, TESSERA_EMAIL_POLL_MS: "50", TESSERA_SMTP_FROM: "Tessera <tessera@example.com>",
    };
    // Two replicas scanning at once: each notice must still be made once.
    replicas = [await startAdmin(env), await startAdmin(env)];
    const token = (adminToken = replicas[0]!.bootstrapped!.adminToken);
    api = adminClient(replicas[0]!.port, token);
    const endpoint = await webhookClient(replicas[0]!.port, token).createWebhookEndpoint({
      organisationId: "*", url: receiver.url, events: [EventType.TOKEN_EXPIRING, EventType.TOKEN_EXPIRED, EventType.TOKEN_REVOKED],
    });
    receiver.secret = endpoint.secret;
    orgId = (await api.createOrganisation({ name: "notices" })).organisation!.id;
    owner = (await api.createPrincipal({ organisationId: orgId, name: "ada", kind: PrincipalKind.HUMAN, role: Role.MEMBER, email: "ada@example.com" })).principal!.id;
    await api.createPrincipal({ organisationId: orgId, name: "olga", kind: PrincipalKind.HUMAN, role: Role.ORG_ADMIN, email: "olga@example.com" });
    await api.createPrincipal({ organisationId: orgId, name: "quiet", kind: PrincipalKind.HUMAN, role: Role.ORG_ADMIN }); // no email: not mailed
  });
  afterAll(async () => {
    for (const r of replicas) await r.close();
    await receiver.stop();
    await smtp?.close();
    await database?.drop();
  });

  const at = (ms: number) => ({ kind: { case: "at" as const, value: timestampFromMs(Date.now() + ms) } });
  const mailsAbout = (name: string) => smtp.received.filter((m: ReceivedEmail) => m.subject.includes(`"${name}"`));
  const hooksAbout = (name: string, type: string) => receiver.received.filter((r) => r.type === type && (r.data.token as { name: string }).name === name);

  it("sends each lead time's notice once, by email to the owner (and the org admins for org tokens) and as token.expiring", async () => {
    await api.createToken({ name: "in twenty days", scopes: [], ownerId: owner, expiry: at(20 * day) });
    await api.createToken({ name: "in three days", scopes: [], ownerId: owner, expiry: at(3 * day) });
    await api.createToken({ name: "org in three days", scopes: [], level: TokenLevel.ORG, organisationId: orgId, expiry: at(3 * day) });
    await eventually(async () => mailsAbout("in twenty days").length === 1 && mailsAbout("in three days").length === 1 && mailsAbout("org in three days").length === 1, 15_000, 50).catch((err) => {
      throw new Error(`${String(err)}: ${JSON.stringify(smtp.received.map((m) => [m.to, m.subject]))}`);
    });
    expect(mailsAbout("in twenty days")[0]).toMatchObject({ to: ["ada@example.com"], subject: expect.stringContaining("within 30 days") });
    expect(mailsAbout("in three days")).toHaveLength(1); // its due lead only, never the longer ones too
    expect(mailsAbout("in three days")[0]!.subject).toContain("within 7 days");
    expect(mailsAbout("org in three days")[0]!.to).toEqual(["olga@example.com"]);
    await eventually(async () => hooksAbout("in twenty days", "token.expiring").length >= 1 && hooksAbout("org in three days", "token.expiring").length >= 1, 10_000, 20);
    expect(hooksAbout("in twenty days", "token.expiring")[0]!.data.details).toMatchObject({ lead_seconds: String(30 * 86_400) });
    for (const mail of smtp.received) expect(mail.raw).not.toMatch(/tsr_pat_[A-Za-z0-9]{30,}/);
  });

  it("says once when a token has expired, and no notice is made twice across replicas and restarts", async () => {
    await api.createToken({ name: "about to expire", scopes: [], ownerId: owner, expiry: at(1500) });
    await eventually(async () => hooksAbout("about to expire", "token.expired").length >= 1, 15_000, 50);
    await eventually(async () => mailsAbout("about to expire").some((m) => m.subject.includes("has expired")), 10_000, 50);
    // Restart both replicas, then wait for a sentinel made after: once its notice is out (scans go in
    // lead order and the webhook follows the feed), every notice the restarted scans could repeat would be out before it.
    for (const r of replicas) await r.close();
    replicas = [await startAdmin(env), await startAdmin(env)];
    api = adminClient(replicas[1]!.port, adminToken);
    await api.createToken({ name: "sentinel", scopes: [], ownerId: owner, expiry: at(1500) });
    await eventually(async () => hooksAbout("sentinel", "token.expired").length >= 1, 15_000, 50);
    await eventually(async () => mailsAbout("sentinel").some((m) => m.subject.includes("has expired")), 10_000, 50);
    const noticeIds = receiver.received.filter((r) => r.type !== "token.revoked").map((r) => `${r.type} ${(r.data.token as { id: string }).id} ${(r.data.details as { lead_seconds?: string }).lead_seconds ?? ""}`);
    expect(new Set(noticeIds).size).toBe(new Set(receiver.uniqueIds().filter((id) => receiver.received.find((r) => r.id === id)!.type !== "token.revoked")).size);
    const subjects = smtp.received.map((m) => `${m.to.join(",")} ${m.subject}`);
    expect(subjects.length).toBe(new Set(subjects).size);
  });

  it("revokes tokens unused past the organisation's max_inactivity, as the system, with the reason shown, audited, announced and emailed", async () => {
    await api.updateOrganisation({ organisationId: orgId, settings: { maxInactivity: { seconds: 3600n, nanos: 0 } } });
    expect((await api.getOrganisation({ organisationId: orgId })).organisation!.maxInactivity?.seconds).toBe(3600n);
    const stale = await api.createToken({ name: "stale", scopes: [], ownerId: owner });
    const fresh = await api.createToken({ name: "fresh", scopes: [], ownerId: owner });
    // Made two hours ago and never used (the test's own database: no waiting an hour).
    await sql`update token set created_at = now() - interval '2 hours' where id = ${stale.token!.id}`.execute(database.handle.db);
    await eventually(async () => (await api.getToken({ tokenId: stale.token!.id })).token!.status === TokenStatus.REVOKED, 15_000, 50);
    const revoked = (await api.getToken({ tokenId: stale.token!.id })).token!;
    expect(revoked.revocationReason).toBe("inactivity");
    expect(revoked.revokedBy).toBe("");
    expect((await api.getToken({ tokenId: fresh.token!.id })).token!.status).toBe(TokenStatus.ACTIVE);
    const audit = await api.listAuditEvents({ tokenId: stale.token!.id, action: "token.revoke", pageSize: 10 });
    expect(audit.events).toHaveLength(1);
    expect(audit.events[0]!.actorId).toBe("");
    await eventually(async () => hooksAbout("stale", "token.revoked").length >= 1 && mailsAbout("stale").length >= 1, 15_000, 50);
    expect(hooksAbout("stale", "token.revoked")[0]!.data.details).toMatchObject({ reason: "inactivity", max_inactivity_seconds: "3600" });
    expect(mailsAbout("stale")[0]).toMatchObject({ to: ["ada@example.com"], subject: expect.stringContaining("unused for too long") });
    const metrics = await (await fetch(`http://127.0.0.1:${replicas[0]!.port}/metrics`)).text();
    expect(metrics).toMatch(/tessera_notice_emails_total\{outcome="sent"\} \d+/);
    expect(metrics).toContain('tessera_notices_total{kind="inactivity"}');
    // A manual revocation says so.
    await api.revokeToken({ tokenId: fresh.token!.id });
    expect((await api.getToken({ tokenId: fresh.token!.id })).token!.revocationReason).toBe("manual");
  });
});
