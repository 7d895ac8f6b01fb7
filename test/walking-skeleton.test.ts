import { execFile } from "node:child_process";
import { promisify } from "node:util";
import { createClient } from "@connectrpc/connect";
import { createGrpcTransport, createGrpcWebTransport } from "@connectrpc/connect-node";
import { TokenAdminService } from "@tessera/shared/gen/tessera/v1/admin_pb";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { Health, HealthCheckResponse_ServingStatus } from "@tessera/shared/gen/grpc/health/v1/health_pb";
import { testPepper } from "./support/admin-deps.js";
import { ValidationCode } from "@tessera/shared/gen/tessera/v1/validator_pb";
import { adminClient, eventually, validatorClient } from "./support/clients.js";
import { bootstrapToken, listeningPort, spawnService, type SpawnedService } from "./support/spawn-service.js";
import { createPostgresDatabase, type TestDatabase } from "./support/test-database.js";
import { redisUrl, uniqueRedisPrefix } from "./support/test-redis.js";
import { lateDenials, runTokenSlice } from "./support/token-slice.js";

/** Scheduling on a busy two-core machine. */
const marginMs = 500;
/** The validator under SIGTERM waits this long between NOT_SERVING and draining. */
const shutdownDelayMs = 1500;

describe("walking skeleton: token-admin and two validators as separate processes", () => {
  let database: TestDatabase;
  let admin: SpawnedService;
  let validators: SpawnedService[];
  let adminPort: number;
  let adminToken: string;
  let validatorPorts: number[];

  beforeAll(async () => {
    database = await createPostgresDatabase();
    const env = { DATABASE_URL: database.url, REDIS_URL: redisUrl, TESSERA_PEPPER: testPepper, TESSERA_REDIS_PREFIX: uniqueRedisPrefix() };
    admin = spawnService("token-admin", { ...env, TESSERA_ADMIN_PORT: "0", TESSERA_SHUTDOWN_DELAY_MS: "0" });
    adminPort = await listeningPort(admin, "token-admin listening");
    adminToken = await bootstrapToken(admin);
    validators = [1, 2].map((i) =>
      spawnService("token-validator", { ...env, TESSERA_VALIDATOR_ID: `v${i}`, TESSERA_VALIDATOR_PORT: "0", TESSERA_VALIDATOR_HTTP_PORT: "0", TESSERA_SHUTDOWN_DELAY_MS: String(shutdownDelayMs) }),
    );
    validatorPorts = await Promise.all(validators.map((v) => listeningPort(v, "token-validator listening")));
    await Promise.all(validators.map((v) => v.waitForLog((l) => l.msg === "replica loaded")));
  });

  afterAll(async () => {
    await Promise.all([admin, ...validators].map((s) => s?.stop()));
    await database?.drop();
  });

  it("creates, validates on both, revokes and is refused by both within the poll interval (counted over 10 trials)", async () => {
    const { values } = await runTokenSlice(adminPort, adminToken, validatorPorts);
    expect(await lateDenials(adminPort, adminToken, validatorPorts, 10, 1000 + marginMs)).toEqual([]);
    // No token value in any line any process wrote (the built-in admin's went to its file).
    const logs = [...admin.lines, ...validators.flatMap((v) => v.lines)].join("\n");
    for (const value of [...values, adminToken]) expect(logs).not.toContain(value);
  });

  it("serves the admin API as Connect JSON over HTTP/1.1 too", async () => {
    const page = await adminClient(adminPort, adminToken, "connect-json").listTokens({ pageSize: 1 });
    expect(page.tokens).toHaveLength(1);
    expect(page.nextPageToken).not.toBe("");
  });

  it("serves the admin API as gRPC-Web over HTTP/1.1 too", async () => {
    const transport = createGrpcWebTransport({ baseUrl: `http://127.0.0.1:${adminPort}`, httpVersion: "1.1" });
    const page = await createClient(TokenAdminService, transport).listTokens({ pageSize: 1 }, { headers: { authorization: `Bearer ${adminToken}` } });
    expect(page.tokens).toHaveLength(1);
  });

  it("answers buf curl through server reflection, with no schema file", async () => {
    const buf = (...args: string[]) => promisify(execFile)("node_modules/.bin/buf", ["curl", "--protocol", "grpc", "--http2-prior-knowledge", ...args]);
    const adminServices = (await buf("--list-services", `http://127.0.0.1:${adminPort}`)).stdout.split("\n");
    expect(adminServices).toEqual(expect.arrayContaining(["tessera.v1.TokenAdminService", "grpc.health.v1.Health", "grpc.reflection.v1.ServerReflection"]));
    const answer = await buf("-d", '{"token":"tsr_pat_nonsense"}', `http://127.0.0.1:${validatorPorts[0]}/tessera.v1.TokenValidatorService/ValidateToken`);
    expect(JSON.parse(answer.stdout)).toMatchObject({ code: "VALIDATION_CODE_MALFORMED", freshness: "FRESHNESS_CURRENT" });
    const listed = await buf("-H", `authorization: Bearer ${adminToken}`, "-d", '{"page_size":1}', `http://127.0.0.1:${adminPort}/tessera.v1.TokenAdminService/ListTokens`);
    expect(JSON.parse(listed.stdout).tokens).toHaveLength(1);
  });

  it("reports both validators and the admin as SERVING over grpc.health.v1", async () => {
    for (const port of [adminPort, ...validatorPorts]) {
      const health = createClient(Health, createGrpcTransport({ baseUrl: `http://127.0.0.1:${port}` }));
      expect((await health.check({})).status).toBe(HealthCheckResponse_ServingStatus.SERVING);
    }
  });

  it("on SIGTERM: NOT_SERVING at once, still answering and still applying revocations (and acknowledging them) until drained, then exits 0", async () => {
    const leaving = validators[1]!;
    const port = validatorPorts[1]!;
    const admin = adminClient(adminPort, adminToken);
    const client = validatorClient(port);
    const health = createClient(Health, createGrpcTransport({ baseUrl: `http://127.0.0.1:${port}` }));
    try {
      const kept = await admin.createToken({ name: "answered while draining", scopes: ["orders:read"] });
      const revokedLate = await admin.createToken({ name: "revoked while draining", scopes: ["orders:read"] });
      await eventually(async () => (await client.validate(revokedLate.tokenValue)).valid, 5000);

      const exited = leaving.stop();
      const stoppedAtMs = Date.now();
      await eventually(async () => (await health.check({})).status === HealthCheckResponse_ServingStatus.NOT_SERVING, 1000, 5);
      // Balancers are told first; the validator keeps answering meanwhile, from a replica it keeps current.
      expect((await client.validate(kept.tokenValue)).valid).toBe(true);
      const revoked = await admin.revokeToken({ tokenId: revokedLate.token!.id, awaitValidators: { seconds: 2n } });
      expect(revoked.acknowledgement).toMatchObject({ complete: true, applied: 2, appliedValidatorIds: expect.arrayContaining(["v2"]) });
      expect((await client.validate(revokedLate.tokenValue)).code).toBe(ValidationCode.REVOKED);
      expect(Date.now() - stoppedAtMs).toBeLessThan(shutdownDelayMs);

      expect(await exited).toBe(0);
      expect(Date.now() - stoppedAtMs).toBeGreaterThanOrEqual(shutdownDelayMs);
      const order = leaving.lines.map((l) => /"msg":"([^"]+)"/.exec(l)?.[1]).filter((m) => m === "shutting down" || m === "not serving; draining after the shutdown delay" || m === "stopped");
      expect(order).toEqual(["shutting down", "not serving; draining after the shutdown delay", "stopped"]);
      await expect(client.validate(kept.tokenValue)).rejects.toThrow();
      // It left the roster on the way out: nothing waits for it now.
      const after = await admin.createToken({ name: "after it left", scopes: [] });
      const acknowledged = await admin.revokeToken({ tokenId: after.token!.id, awaitValidators: { seconds: 2n } });
      expect(acknowledged.acknowledgement).toMatchObject({ complete: true, live: 1, unreachable: 0 });
    } finally {
      client.close();
    }
  });
});
