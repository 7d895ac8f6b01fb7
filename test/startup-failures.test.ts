import { randomBytes } from "node:crypto";
import { mkdtempSync, rmSync } from "node:fs";
import { createServer, type Server } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { spawnService, type ServiceName } from "./support/spawn-service.js";
import { adminQuery, postgresServerUrl } from "./support/test-database.js";

const pepper = randomBytes(32).toString("base64");

/** Runs a service that must fail to start; returns its exit code and what it wrote to stderr. */
async function failedStart(name: ServiceName, env: Record<string, string>): Promise<{ code: number | null; stderr: string[]; output: string }> {
  const service = spawnService(name, { TESSERA_ADMIN_PORT: "0", TESSERA_VALIDATOR_PORT: "0", TESSERA_VALIDATOR_HTTP_PORT: "0", ...env });
  const code = await service.exited;
  return { code, stderr: service.errorLines.filter((line) => line !== ""), output: service.lines.join("\n") };
}

/** One line, naming the problem and the setting; no stack trace anywhere. */
function expectOneClearLine(result: { code: number | null; stderr: string[]; output: string }, service: string, ...fragments: string[]): void {
  expect(result.code, result.output).toBe(1);
  expect(result.stderr, result.output).toHaveLength(1);
  expect(result.stderr[0]).toMatch(new RegExp(`^${service}: cannot start: `));
  for (const fragment of fragments) expect(result.stderr[0]).toContain(fragment);
  expect(result.output).not.toMatch(/\n\s+at /);
  expect(result.output).not.toContain("[cause]");
}

describe("startup failures: one clear line naming the problem and the setting, exit 1, no stack", () => {
  let blocker: Server;
  let busyPort: number;
  let database: string;
  let databaseUrl: string;
  let conflicting: string;

  beforeAll(async () => {
    blocker = createServer();
    await new Promise<void>((resolve) => blocker.listen(0, "127.0.0.1", resolve));
    busyPort = (blocker.address() as { port: number }).port;
    const suffix = randomBytes(6).toString("hex");
    database = `tessera_test_${suffix}`;
    conflicting = `tessera_test_conflict_${suffix}`;
    await adminQuery(`create database ${database}`);
    await adminQuery(`create database ${conflicting}`);
    const url = new URL(postgresServerUrl);
    url.pathname = `/${database}`;
    databaseUrl = url.toString();
  });

  afterAll(async () => {
    blocker?.close();
    await adminQuery(`drop database if exists ${database} with (force)`);
    await adminQuery(`drop database if exists ${conflicting} with (force)`);
  });

  it("invalid config: names the variable and the rule", async () => {
    const result = await failedStart("token-admin", { DATABASE_URL: databaseUrl, TESSERA_PEPPER: "a".repeat(40) });
    expectOneClearLine(result, "token-admin", "invalid configuration", "TESSERA_PEPPER", "128 bits");
    expect(result.output).not.toContain("a".repeat(40));
    const validator = await failedStart("token-validator", { DATABASE_URL: databaseUrl, TESSERA_PEPPER: pepper, TESSERA_MAX_STALENESS_MS: "soon" });
    expectOneClearLine(validator, "token-validator", "invalid configuration", "TESSERA_MAX_STALENESS_MS");
    const partial = await failedStart("token-validator", { DATABASE_URL: databaseUrl, TESSERA_PEPPER: pepper, TESSERA_VALIDATOR_ORGANISATIONS: "acme,globex" });
    expectOneClearLine(partial, "token-validator", "invalid configuration", "TESSERA_VALIDATOR_ORGANISATIONS", "organisation ids (uuids)");
    const embedded = await failedStart("embedded", { TESSERA_ADMIN_PORT: "http" });
    expectOneClearLine(embedded, "tessera", "invalid configuration", "TESSERA_ADMIN_PORT");
  });

  it("port in use: names the address and the port setting", async () => {
    const admin = await failedStart("token-admin", { DATABASE_URL: databaseUrl, TESSERA_PEPPER: pepper, TESSERA_ADMIN_PORT: String(busyPort) });
    expectOneClearLine(admin, "token-admin", `127.0.0.1:${busyPort} is already in use (EADDRINUSE)`, "set TESSERA_ADMIN_PORT");
    const grpc = await failedStart("token-validator", { DATABASE_URL: databaseUrl, TESSERA_PEPPER: pepper, TESSERA_VALIDATOR_PORT: String(busyPort) });
    expectOneClearLine(grpc, "token-validator", `127.0.0.1:${busyPort} is already in use (EADDRINUSE)`, "set TESSERA_VALIDATOR_PORT");
    const http = await failedStart("token-validator", { DATABASE_URL: databaseUrl, TESSERA_PEPPER: pepper, TESSERA_VALIDATOR_HTTP_PORT: String(busyPort) });
    expectOneClearLine(http, "token-validator", `127.0.0.1:${busyPort} is already in use (EADDRINUSE)`, "set TESSERA_VALIDATOR_HTTP_PORT");
  });

  it("database host unknown (ENOTFOUND) and database refusing: named as such, not as a migration", async () => {
    const unknown = await failedStart("token-admin", { DATABASE_URL: "postgres://tessera@db.invalid:5432/tessera", TESSERA_PEPPER: pepper });
    expectOneClearLine(unknown, "token-admin", "database host db.invalid not found (ENOTFOUND)", "DATABASE_URL");
    const closedPort = await new Promise<number>((resolve) => {
      const probe = createServer().listen(0, "127.0.0.1", () => {
        const { port } = probe.address() as { port: number };
        probe.close(() => resolve(port));
      });
    });
    const refused = await failedStart("token-admin", { DATABASE_URL: `postgres://tessera:secret-pw@127.0.0.1:${closedPort}/tessera`, TESSERA_PEPPER: pepper });
    expectOneClearLine(refused, "token-admin", `127.0.0.1:${closedPort} refused the connection (ECONNREFUSED)`, "DATABASE_URL");
    expect(refused.output).not.toContain("secret-pw");
    const missing = new URL(postgresServerUrl);
    missing.pathname = "/tessera_no_such_database";
    const noDatabase = await failedStart("token-admin", { DATABASE_URL: missing.toString(), TESSERA_PEPPER: pepper });
    expectOneClearLine(noDatabase, "token-admin", 'database "tessera_no_such_database" does not exist', "DATABASE_URL");
  });

  it("migration failure: names the migration and its real cause", async () => {
    const url = new URL(postgresServerUrl);
    url.pathname = `/${conflicting}`;
    // A table of that name already there, not Tessera's: the first migration cannot create its own.
    const pg = await import("pg");
    const client = new pg.default.Client({ connectionString: url.toString() });
    await client.connect();
    await client.query("create table token (something text)");
    await client.end();
    const result = await failedStart("token-admin", { DATABASE_URL: url.toString(), TESSERA_PEPPER: pepper });
    expectOneClearLine(result, "token-admin", "migration 2026-11-23-initial failed", 'relation "token" already exists', "SQLSTATE 42P07");
  });

  it("a standalone validator without a database says so", async () => {
    const result = await failedStart("token-validator", { TESSERA_PEPPER: pepper });
    expectOneClearLine(result, "token-validator", "DATABASE_URL is required");
  });
});

describe("embedded data folder lock: one process per folder", () => {
  let dataDir: string;

  beforeAll(() => {
    dataDir = join(mkdtempSync(join(tmpdir(), "tessera-lock-")), "data");
  });

  afterAll(() => {
    rmSync(join(dataDir, ".."), { recursive: true, force: true });
  });

  it("a second npm start on the same folder exits 1 naming the pid that holds it; the first keeps serving; a dead holder's lock is taken over", async () => {
    const env = { TESSERA_DATA_DIR: dataDir, TESSERA_ADMIN_PORT: "0", TESSERA_VALIDATOR_PORT: "0", TESSERA_VALIDATOR_HTTP_PORT: "0" };
    const first = spawnService("embedded", env);
    await first.waitForLog((l) => l.msg === "tessera embedded: ready", 60_000);
    try {
      const second = await failedStart("embedded", env);
      expectOneClearLine(second, "tessera", `data folder ${dataDir} is in use by process ${first.child.pid}`, "TESSERA_DATA_DIR");
      expect(first.child.exitCode).toBeNull();
    } finally {
      await first.kill(); // SIGKILL: its lock file stays behind, naming a dead pid
    }
    const third = spawnService("embedded", env);
    try {
      await third.waitForLog((l) => l.msg === "tessera embedded: ready", 60_000);
      expect(third.lines.join("\n")).toContain("store already initialised");
    } finally {
      expect(await third.stop()).toBe(0);
    }
  });
});
