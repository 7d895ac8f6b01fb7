import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { eventually } from "./support/clients.js";
import { spawnService, type ServiceName } from "./support/spawn-service.js";
import { createPostgresDatabase, type TestDatabase } from "./support/test-database.js";
import { deploymentEnv } from "./support/in-process.js";
import { uniqueRedisPrefix } from "./support/test-redis.js";

/**
 * What a process manager does to a service started as the README says
 * (`npm start`, `npm run start:admin`, `npm run start:validator`): SIGTERM to
 * the process it started — npm's. npm hands it to its script's shell, so the
 * script must `exec` node for the signal to reach the service. Pre-scripts
 * (the build) are skipped: `npm test` has built already, and a build here
 * would race the other test files reading dist/.
 */
async function startAndStop(name: ServiceName, script: string, env: Record<string, string>, ready: { msg: string; port: string; path: string }): Promise<{ exitCode: number | null; logs: string[] }> {
  const service = spawnService(name, { HOME: process.env.HOME, ...env }, { command: ["npm", "run", script, "--ignore-scripts", "--silent"], ownProcessGroup: true });
  try {
    const line = await service.waitForLog((l) => l.msg === ready.msg, 60_000);
    // An answer proves main.ts has run past its start, so its signal handlers are in place:
    // a signal during start-up ends the process at once, by design.
    await eventually(async () => (await fetch(`http://127.0.0.1:${String(line[ready.port])}${ready.path}`)).status === 200, 30_000, 50);
    const exitCode = await service.stop();
    return { exitCode, logs: service.lines };
  } finally {
    // A service the signal did not reach outlives npm: end it, whatever the outcome.
    try {
      process.kill(-service.child.pid!, "SIGKILL");
    } catch {
      // The group is empty: nothing was left behind.
    }
  }
}

describe("SIGTERM to the documented start commands reaches the service", () => {
  let database: TestDatabase;
  let dataDir: string;
  beforeAll(async () => {
    database = await createPostgresDatabase();
    dataDir = mkdtempSync(join(tmpdir(), "tessera-start-"));
  });
  afterAll(async () => {
    await database?.drop();
    rmSync(dataDir, { recursive: true, force: true });
  });

  const stoppedGracefully = (logs: string[]) => logs.some((line) => line.includes('"msg":"stopped"'));

  it("npm run start:admin and npm run start:validator: a graceful shutdown, exit 0", async () => {
    const env = { ...deploymentEnv(database, uniqueRedisPrefix()), TESSERA_LOG_LEVEL: "info", TESSERA_ADMIN_PORT: "0", TESSERA_VALIDATOR_PORT: "0", TESSERA_VALIDATOR_HTTP_PORT: "0" };
    const admin = await startAndStop("token-admin", "start:admin", env, { msg: "token-admin listening", port: "port", path: "/metrics" });
    expect(admin.exitCode).toBe(0);
    expect(stoppedGracefully(admin.logs)).toBe(true);
    const validator = await startAndStop("token-validator", "start:validator", env, { msg: "token-validator listening", port: "httpPort", path: "/ready" });
    expect(validator.exitCode).toBe(0);
    expect(stoppedGracefully(validator.logs)).toBe(true);
  });

  it("npm start (embedded): a graceful shutdown, exit 0", async () => {
    const env = { TESSERA_DATA_DIR: dataDir, TESSERA_SHUTDOWN_DELAY_MS: "0", TESSERA_ADMIN_PORT: "0", TESSERA_VALIDATOR_PORT: "0", TESSERA_VALIDATOR_HTTP_PORT: "0" };
    const embedded = await startAndStop("embedded", "start", env, { msg: "tessera embedded: ready", port: "adminPort", path: "/metrics" });
    expect(embedded.exitCode).toBe(0);
    expect(stoppedGracefully(embedded.logs)).toBe(true);
  });
});
