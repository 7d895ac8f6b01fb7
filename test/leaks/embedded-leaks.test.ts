import { mkdtempSync, rmSync } from "node:fs";
import { request } from "node:http";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { EventType } from "@tessera/shared/gen/tessera/v1/events_pb";
import { TokenStatus } from "@tessera/shared/gen/tessera/v1/token_pb";
import { ValidationCode } from "@tessera/shared/gen/tessera/v1/validator_pb";
import { createTokenFormat, generateToken } from "@tessera/shared/token/token-format";
import { adminClient, eventually, validatorClient, type AdminClient, type ValidatorClient } from "../support/clients.js";
import { spawnService, type SpawnedService } from "../support/spawn-service.js";
import { webhookClient } from "../support/webhook-client.js";
import { WebhookReceiver } from "../support/webhook-receiver.js";

// Leak response and honeytokens in embedded mode (one process, PGlite, the
// in-process bus), on a deployment with its own token prefix.

function post(port: number, body: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const req = request({ host: "127.0.0.1", port, path: "/v1/leaks", method: "POST", agent: false, headers: { "content-type": "application/json", "content-length": String(Buffer.byteLength(body)) } }, (res) => {
      res.resume();
      res.on("end", () => resolve(res.statusCode ?? 0));
    });
    req.on("error", reject);
    req.end(body);
  });
}

describe("embedded mode: leak reports and honeytokens, with TESSERA_TOKEN_PREFIX=acme", () => {
  const acme = createTokenFormat("acme");
  let dataDir: string;
  let tessera: SpawnedService;
  let adminPort: number;
  let admin: AdminClient;
  let validation: ValidatorClient;
  let adminToken: string;
  const receiver = new WebhookReceiver();

  beforeAll(async () => {
    dataDir = join(mkdtempSync(join(tmpdir(), "tessera-embedded-leaks-")), "data");
    tessera = spawnService("embedded", {
      TESSERA_SHUTDOWN_DELAY_MS: "0", TESSERA_DATA_DIR: dataDir, TESSERA_ADMIN_PORT: "0", TESSERA_VALIDATOR_PORT: "0", TESSERA_VALIDATOR_HTTP_PORT: "0",
      TESSERA_TOKEN_PREFIX: "acme", TESSERA_HONEYTOKEN_POLL_MS: "100", TESSERA_WEBHOOK_ALLOW_PRIVATE: "true", TESSERA_WEBHOOK_POLL_MS: "50",
    });
    const ready = await tessera.waitForLog((l) => l.msg === "tessera embedded: ready", 60_000);
    adminPort = Number(ready.adminPort);
    adminToken = await tessera.waitForText(/TESSERA_TOKEN=(acme_pat_\w+)/);
    admin = adminClient(adminPort, adminToken);
    validation = validatorClient(Number(ready.validatorPort));
  }, 90_000);

  afterAll(async () => {
    validation?.close();
    await tessera?.stop();
    await receiver.stop();
    rmSync(join(dataDir, ".."), { recursive: true, force: true });
  });

  it("issues tokens that name the deployment, and refuses the default prefix as malformed", async () => {
    const { tokenValue } = await admin.createToken({ name: "acme token", scopes: ["orders:read"] });
    expect(acme.parse(tokenValue)).toBe("personal");
    expect((await validation.validate(tokenValue)).code).toBe(ValidationCode.VALID);
    expect((await validation.validate(generateToken())).code).toBe(ValidationCode.MALFORMED);
  });

  it("revokes a reported token at once", async () => {
    const victim = await admin.createToken({ name: "pasted in chat", scopes: ["orders:read"] });
    expect((await validation.validate(victim.tokenValue)).valid).toBe(true);
    expect(await post(adminPort, JSON.stringify([{ token: victim.tokenValue, url: "https://chat.example/m/1" }, { token: acme.generate() }]))).toBe(202);
    await eventually(async () => (await validation.validate(victim.tokenValue)).code === ValidationCode.REVOKED, 5000).catch((err: unknown) => {
      throw new Error(`${String(err)}\n${[...tessera.lines, ...tessera.errorLines].filter((l) => /leak|error/i.test(l)).join("\n")}`);
    });
    expect((await admin.getToken({ tokenId: victim.token!.id })).token?.status).toBe(TokenStatus.REVOKED);
    const [audit] = (await admin.listAuditEvents({ tokenId: victim.token!.id, action: "token.leaked" })).events;
    expect(audit?.details).toMatchObject({ url: "https://chat.example/m/1", reason: "leaked" });
  });

  it("refuses a honeytoken as unknown, audits its use within seconds and sends it to a subscribed webhook endpoint", async () => {
    await receiver.start();
    receiver.secret = (await webhookClient(adminPort, adminToken).createWebhookEndpoint({ organisationId: "*", url: receiver.url, events: [EventType.TOKEN_HONEYTOKEN_USED] })).secret;
    const honey = await admin.createToken({ name: "decoy", scopes: ["orders:read"], honeytoken: true });
    const probe = await admin.createToken({ name: "probe", scopes: ["orders:read"] });
    await eventually(async () => (await validation.validate(probe.tokenValue)).valid, 5000);
    const [trap, unknown] = [await validation.validate(honey.tokenValue, "orders:read"), await validation.validate(acme.generate(), "orders:read")];
    expect(trap.code).toBe(ValidationCode.NOT_FOUND);
    expect({ ...trap, stalenessMs: 0 }).toEqual({ ...unknown, stalenessMs: 0 });
    await eventually(async () => (await admin.listAuditEvents({ tokenId: honey.token!.id, action: "token.honeytoken_used" })).events.length === 1, 5000);
    const [use] = (await admin.listAuditEvents({ tokenId: honey.token!.id, action: "token.honeytoken_used" })).events;
    expect(use?.details).toMatchObject({ surface: "grpc", route: "ValidateToken scope=orders:read" });
    await eventually(async () => receiver.received.length >= 1, 5000);
    expect(receiver.uniqueIds()).toEqual([`msg_honeytoken_${use!.id}`]);
    expect(receiver.received[0]).toMatchObject({ type: "token.honeytoken_used", data: { token: { id: honey.token!.id }, details: { surface: "grpc", route: "ValidateToken scope=orders:read" } } });
  });
});
