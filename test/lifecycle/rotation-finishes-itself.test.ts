import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ValidationCode } from "@tessera/shared/gen/tessera/v1/validator_pb";
import { eventually } from "../support/clients.js";
import { startDeployment, type Deployment } from "../support/deployment.js";
import { httpCall } from "../load-balancers/support/http-call.js";
import { startSmtpReceiver } from "../support/smtp-receiver.js";

// A real token-admin and validator on Postgres and Redis, with uses reported
// every 100 ms and rotations checked every 200 ms; quiet periods of 2 s.
const quiet = { seconds: 2n, nanos: 0 };
const grace = (seconds: number) => ({ seconds: BigInt(seconds), nanos: 0 });
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describe("a rotation that finishes itself", () => {
  let d: Deployment;
  let smtp: Awaited<ReturnType<typeof startSmtpReceiver>>;
  beforeAll(async () => {
    smtp = await startSmtpReceiver();
    d = await startDeployment({ TESSERA_ROTATION_CHECK_MS: "200", TESSERA_SMTP_URL: `smtp://127.0.0.1:${smtp.port}`, TESSERA_EMAIL_POLL_MS: "50" });
    // The owner of the tests' tokens (the built-in admin) has an address, so it is told by email.
    const me = (await d.adminApi.getCaller({})).principal!;
    await d.adminApi.updatePrincipal({ principalId: me.id, email: "owner@example.com" });
  });
  afterAll(async () => {
    await d?.close();
    await smtp?.close();
  });

  const issue = async (name: string) => {
    const created = await d.adminApi.createToken({ name, scopes: ["orders:read"] });
    await eventually(async () => (await d.validation.validate(created.tokenValue)).valid, 2000);
    return { id: created.token!.id, value: created.tokenValue };
  };
  const code = async (value: string) => (await d.validation.validate(value)).code;
  /** The old value used through forward-auth from one client address, as a straggling deployment would. */
  const useFrom = (value: string, address: string) => httpCall(d.validator.httpPort, "/auth", { headers: ["Authorization", `Bearer ${value}`, "X-Forwarded-For", address, "X-Original-URI", "/orders"] });
  const auditOf = async (tokenId: string, action: string) => (await d.adminApi.listAuditEvents({ tokenId, action })).events;

  it("revokes the previous value early once it has gone unused for the quiet period, and audits it", async () => {
    const token = await issue("rolled cleanly");
    const rolled = await d.adminApi.regenerateToken({ tokenId: token.id, gracePeriod: grace(600), quietPeriod: quiet });
    expect(await code(token.value)).toBe(ValidationCode.VALID); // in its grace period
    const started = Date.now();
    // Only the new value is used from now on. (Asking a validator about the old value would be a use of it:
    // the test watches the audit log instead, then asks once.)
    await eventually(async () => {
      await d.validation.validate(rolled.tokenValue);
      return (await auditOf(token.id, "token.rotation_finished")).length > 0;
    }, 10_000, 100);
    // Not before the quiet period, and long before the 10-minute grace.
    expect(Date.now() - started).toBeGreaterThanOrEqual(1900);
    await eventually(async () => d.validator.follower.replica.appliedSeq >= (await d.database.handle.db.selectFrom("change_counter").select("seq").executeTakeFirstOrThrow().then((r) => BigInt(r.seq))), 2000);
    expect(await code(token.value)).toBe(ValidationCode.REVOKED);
    expect(await code(rolled.tokenValue)).toBe(ValidationCode.VALID);
    const events = await auditOf(token.id, "token.rotation_finished");
    expect(events).toHaveLength(1);
    expect(events[0]!.details).toMatchObject({ quiet_seconds: 2 });
    const shown = (await d.adminApi.getToken({ tokenId: token.id })).token!;
    expect(Number(shown.previousValueExpireTime!.seconds) * 1000).toBeLessThanOrEqual(Date.now());
  });

  it("keeps a previous value that is still used alive, tells its uses apart, and finishes once it stops", async () => {
    const token = await issue("straggler");
    const rolled = await d.adminApi.regenerateToken({ tokenId: token.id, gracePeriod: grace(600), quietPeriod: quiet });
    const until = Date.now() + 4000;
    while (Date.now() < until) {
      expect((await useFrom(token.value, "198.51.100.7")).status).toBe(200); // twice the quiet period: never revoked meanwhile
      await sleep(200);
    }
    const shown = (await d.adminApi.getToken({ tokenId: token.id })).token!;
    expect(shown.previousValueLastUsedTime).toBeDefined();
    expect(shown.useSources.find((s) => s.previousValue)).toMatchObject({ surface: "forward_auth", address: "198.51.100.7", route: "/orders" });
    expect(await auditOf(token.id, "token.rotation_finished")).toHaveLength(0);
    // Stopped: finished within the quiet period plus reporting and checking delays.
    await eventually(async () => (await auditOf(token.id, "token.rotation_finished")).length > 0, 10_000, 100);
    await eventually(async () => (await useFrom(token.value, "198.51.100.7")).status === 401, 2000);
    expect(await code(rolled.tokenValue)).toBe(ValidationCode.VALID);
  });

  it("when the grace ends with the previous value still in use, records for the owner which sources still use it", async () => {
    const token = await issue("grace runs out");
    const rolled = await d.adminApi.regenerateToken({ tokenId: token.id, gracePeriod: grace(3), quietPeriod: quiet });
    // Used until the grace ends (it is then refused like any revoked value).
    for (;;) {
      const answer = await useFrom(token.value, "192.0.2.44");
      if (answer.status !== 200) break;
      await sleep(150);
    }
    expect(await code(token.value)).toBe(ValidationCode.REVOKED);
    await eventually(async () => (await auditOf(token.id, "token.rotation_still_used")).length === 1, 10_000, 100);
    const [event] = await auditOf(token.id, "token.rotation_still_used");
    expect(event!.principalId).toBe(rolled.token!.ownerId);
    expect(event!.details).toMatchObject({ sources: [{ surface: "forward_auth", address: "192.0.2.44", route: "/orders" }] });
    expect(await auditOf(token.id, "token.rotation_finished")).toHaveLength(0);
    // The owner is told by email which sources still used the old value.
    await eventually(async () => smtp.received.some((m) => m.subject.includes("its old value was still in use")), 10_000, 100);
    const [mail] = smtp.received.filter((m) => m.subject.includes("its old value was still in use"));
    expect(mail!.to).toEqual(["owner@example.com"]);
    expect(mail!.text).toContain("forward_auth from 192.0.2.44 on /orders");
    expect(mail!.raw).not.toMatch(/tsr_pat_[A-Za-z0-9]{30,}/);
    // Settled once: later rounds add nothing.
    await sleep(600);
    expect(await auditOf(token.id, "token.rotation_still_used")).toHaveLength(1);
    expect(smtp.received.filter((m) => m.subject.includes("its old value was still in use"))).toHaveLength(1);
  });

  it("a quiet period of zero never revokes early", async () => {
    const token = await issue("never early");
    await d.adminApi.regenerateToken({ tokenId: token.id, gracePeriod: grace(600), quietPeriod: { seconds: 0n, nanos: 0 } });
    await sleep(2500);
    expect(await code(token.value)).toBe(ValidationCode.VALID);
  });
});
