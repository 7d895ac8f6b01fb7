import { spawn, type ChildProcess } from "node:child_process";
import { mkdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { createServer } from "node:net";
import { fileURLToPath } from "node:url";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { EventType } from "@tessera/shared/gen/tessera/v1/events_pb";
import type { RunningAdmin } from "@tessera/token-admin/start-token-admin";
import { adminClient, eventually } from "../support/clients.js";
import { deploymentEnv, startAdmin } from "../support/in-process.js";
import { createPostgresDatabase, type TestDatabase } from "../support/test-database.js";
import { uniqueRedisPrefix } from "../support/test-redis.js";
import { webhookClient } from "../support/webhook-client.js";

const root = fileURLToPath(new URL("../..", import.meta.url));

/** The README's "Webhooks" section's receiver, exactly as printed. */
function readmeReceiver(): string {
  const readme = readFileSync(`${root}/README.md`, "utf8");
  const section = readme.split(/^#{2,3} /m).find((part) => part.startsWith("Webhooks\n"));
  const block = section && /^```js\n([\s\S]*?)^```$/m.exec(section)?.[1];
  if (!block) throw new Error('README.md has no js block in "Webhooks"');
  return block;
}

async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as { port: number };
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

describe("the README's webhook receiver", () => {
  let database: TestDatabase;
  let admin: RunningAdmin;
  let child: ChildProcess | undefined;
  // Inside the repository, so `import "standardwebhooks"` resolves as in a user's project.
  const dir = `${root}/node_modules/.tessera-readme-test-${process.pid}`;

  beforeAll(async () => {
    database = await createPostgresDatabase();
    admin = await startAdmin({ ...deploymentEnv(database, uniqueRedisPrefix()), TESSERA_WEBHOOK_ALLOW_PRIVATE: "true", TESSERA_WEBHOOK_POLL_MS: "50" });
  });
  afterAll(async () => {
    child?.kill();
    rmSync(dir, { recursive: true, force: true });
    await admin?.close();
    await database?.drop();
  });

  it("verifies Tessera's deliveries and refuses a forged one, run as pasted", async () => {
    mkdirSync(dir, { recursive: true });
    writeFileSync(`${dir}/receiver.mjs`, readmeReceiver());
    const port = await freePort();
    const token = admin.bootstrapped!.adminToken;
    const { secret } = await webhookClient(admin.port, token).createWebhookEndpoint({ organisationId: "*", url: `http://127.0.0.1:${port}/`, events: [EventType.TOKEN_CREATED] });
    let out = "";
    child = spawn(process.execPath, [`${dir}/receiver.mjs`], { env: { ...process.env, PORT: String(port), TESSERA_WEBHOOK_SECRET: secret }, stdio: ["ignore", "pipe", "inherit"] });
    child.stdout!.on("data", (chunk) => (out += String(chunk)));
    await eventually(async () => fetch(`http://127.0.0.1:${port}/`, { method: "POST", body: "{}" }).then(() => true, () => false), 10_000, 50);
    const forged = await fetch(`http://127.0.0.1:${port}/`, {
      method: "POST",
      body: JSON.stringify({ type: "token.created", data: {} }),
      headers: { "webhook-id": "msg_1_0", "webhook-timestamp": String(Math.floor(Date.now() / 1000)), "webhook-signature": "v1,Zm9yZ2VkIHNpZ25hdHVyZSBmb3JnZWQgc2lnbmF0dXJl" },
    });
    expect(forged.status).toBe(400);
    await adminClient(admin.port, token).createToken({ name: "seen by the readme receiver", scopes: [] });
    await eventually(async () => out.includes("token.created seen by the readme receiver"), 10_000, 20);
  });
});
