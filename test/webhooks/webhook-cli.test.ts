import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { eventually } from "../support/clients.js";
import { startDeployment, type Deployment } from "../support/deployment.js";
import { WebhookReceiver } from "../support/webhook-receiver.js";
import { runTessera } from "../support/cli-runner.js";

/** `tessera …` in this process against the deployment's admin API, as `token`. */
const tessera = (d: Deployment, args: string[], token: string) => runTessera(args, { TESSERA_ADMIN_URL: `http://127.0.0.1:${d.admin.port}`, TESSERA_TOKEN: token });

describe("tessera webhooks", () => {
  let d: Deployment;
  let admin: string;
  const receiver = new WebhookReceiver();
  beforeAll(async () => {
    d = await startDeployment({ TESSERA_WEBHOOK_ALLOW_PRIVATE: "true", TESSERA_WEBHOOK_POLL_MS: "50", TESSERA_WEBHOOK_BACKOFF_MS: "50", TESSERA_WEBHOOK_BACKOFF_MAX_MS: "100", TESSERA_WEBHOOK_RETRY_FOR_MS: "300" });
    admin = d.admin.bootstrapped!.adminToken;
    await receiver.start();
  });
  afterAll(async () => {
    await receiver.stop();
    await d?.close();
  });

  it("creates, lists, shows deliveries, replays dead letters, rotates and deletes", async () => {
    const created = await tessera(d, ["webhooks", "create", "--instance", "--url", receiver.url, "--event", "token.created", "--event", "token.revoked"], admin);
    expect(created.code).toBe(0);
    const [, endpointId] = /endpoint (\S+)/.exec(created.out)!;
    receiver.secret = /secret +(whsec_\S+)/.exec(created.out)![1]!;
    expect(created.err).toContain("not shown again");

    const listed = await tessera(d, ["webhooks", "list"], admin);
    expect(listed.out).toContain(endpointId);
    expect(listed.out).toContain("token.created,token.revoked");

    receiver.mode = "fail";
    await tessera(d, ["tokens", "create", "--name", "via cli"], admin);
    await eventually(async () => (await tessera(d, ["webhooks", "deliveries", endpointId!, "--state", "dead"], admin)).out.includes("dead"), 10_000, 50);
    receiver.mode = "ok";
    const replayed = await tessera(d, ["webhooks", "replay", endpointId!], admin);
    expect(replayed.err).toContain("Replaying 1 dead delivery");
    await eventually(async () => receiver.received.length === 1, 10_000, 20);
    expect(receiver.received[0]!.type).toBe("token.created");

    const rotated = await tessera(d, ["webhooks", "rotate-secret", endpointId!, "--overlap", "0s"], admin);
    expect(rotated.out.trim()).toMatch(/^whsec_/);
    const bad = await tessera(d, ["webhooks", "create", "--url", receiver.url, "--event", "token.exploded"], admin);
    expect(bad.code).toBe(2);
    expect((await tessera(d, ["webhooks", "delete", endpointId!], admin)).code).toBe(0);
    expect((await tessera(d, ["webhooks", "list", "-q"], admin)).out.trim()).toBe("");
  });
});
