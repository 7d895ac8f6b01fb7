import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { PrincipalKind } from "@tessera/shared/gen/tessera/v1/identity_pb";
import { ValidationCode } from "@tessera/shared/gen/tessera/v1/validator_pb";
import type { RunningAdmin } from "@tessera/token-admin/start-token-admin";
import type { RunningValidator } from "@tessera/token-validator/start-token-validator";
import { testPepper } from "./support/admin-deps.js";
import { adminClient, eventually, validatorClient } from "./support/clients.js";
import { startAdmin, startValidator } from "./support/in-process.js";
import { startOwnRedis, type OwnRedis } from "./support/own-redis.js";
import { startPostgresTlsProxy, type PostgresTlsProxy } from "./support/postgres-tls-proxy.js";
import { spawnService } from "./support/spawn-service.js";
import { makeTestCertificates, type TestCertificates } from "./support/test-certificates.js";
import { createPostgresDatabase, postgresServerUrl, type TestDatabase } from "./support/test-database.js";
import { uniqueRedisPrefix } from "./support/test-redis.js";

/** Validators that poll once a minute: what they learn within seconds came by the Redis feed. */
const feedOnly = { TESSERA_POLL_INTERVAL_MS: "60000", TESSERA_MAX_STALENESS_MS: "120000" };

describe("Redis with a password, and over TLS", () => {
  let certs: TestCertificates;
  let redis: OwnRedis;
  let database: TestDatabase;
  const password = "a-redis-password-of-its-own";

  beforeAll(async () => {
    certs = await makeTestCertificates();
    redis = await startOwnRedis({ certFile: certs.serverCertFile, keyFile: certs.serverKeyFile, caFile: certs.caFile }, password);
    database = await createPostgresDatabase();
  });
  afterAll(async () => {
    await redis?.stop();
    await database?.drop();
    certs?.remove();
  });

  /** Admin and validator on `redisEnv`: a revocation reaches the validator by the feed; sign-in's limiter works there too. */
  async function propagates(redisEnv: Record<string, string>): Promise<void> {
    const env = { DATABASE_URL: database.url!, TESSERA_PEPPER: testPepper, TESSERA_REDIS_PREFIX: uniqueRedisPrefix(), TESSERA_LOG_LEVEL: "silent", TESSERA_FEED_HEARTBEAT_MS: "200", ...redisEnv };
    const admin: RunningAdmin = await startAdmin(env);
    const validator: RunningValidator = await startValidator({ ...env, ...feedOnly });
    const api = adminClient(admin.port, (admin.bootstrapped ?? (await recoveredToken(admin))).adminToken);
    const client = validatorClient(validator.grpcPort);
    try {
      const created = await api.createToken({ name: "over redis", scopes: ["orders:read"] });
      await eventually(async () => (await client.validate(created.tokenValue)).valid, 3000);
      await api.revokeToken({ tokenId: created.token!.id });
      await eventually(async () => (await client.validate(created.tokenValue)).code === ValidationCode.REVOKED, 3000);
      // Sign-in counts attempts in this Redis, and fails closed when it cannot.
      const caller = await api.getCaller({});
      const name = `signer-${Date.now()}`;
      await api.createPrincipal({ organisationId: caller.principal!.organisationId, name, kind: PrincipalKind.HUMAN, password: "a password long enough" });
      const session = await adminClient(admin.port).signIn({ organisation: "default", userName: name, password: "a password long enough" });
      expect(session.sessionToken).toMatch(/^tsr_ses_/);
    } finally {
      client.close();
      await validator.close();
      await admin.close();
    }
  }

  /** The second deployment on the same database finds it bootstrapped: it gets its token the way an operator would. */
  async function recoveredToken(admin: RunningAdmin): Promise<{ adminToken: string }> {
    const { recoverAdmin } = await import("@tessera/token-admin/domain/recover-admin");
    return recoverAdmin(admin.deps, { ttlMs: 3600_000, source: "test" });
  }

  it("redis://:password@ on a server that requires one", async () => {
    await propagates({ REDIS_URL: `redis://:${password}@127.0.0.1:${redis.port}` });
  });

  it("rediss://:password@ with the server's CA in TESSERA_REDIS_CA_FILE", async () => {
    await propagates({ REDIS_URL: `rediss://:${password}@localhost:${redis.tlsPort}`, TESSERA_REDIS_CA_FILE: certs.caFile });
  });
});

describe("Postgres over TLS (sslmode in DATABASE_URL)", () => {
  let certs: TestCertificates;
  let proxy: PostgresTlsProxy;
  let database: TestDatabase;

  beforeAll(async () => {
    certs = await makeTestCertificates();
    const server = new URL(postgresServerUrl);
    proxy = await startPostgresTlsProxy({ host: server.hostname, port: Number(server.port || 5432) }, certs.server);
    database = await createPostgresDatabase();
  });
  afterAll(async () => {
    await proxy?.close();
    await database?.drop();
    certs?.remove();
  });

  /** The test database's URL, reached through the TLS proxy by the name its certificate carries. */
  const throughProxy = (params: string) => {
    const url = new URL(database.url!);
    url.hostname = "localhost";
    url.port = String(proxy.port);
    return `${url.toString()}?${params}`;
  };

  it("sslmode=verify-full with sslrootcert: token-admin and a validator work through TLS only", async () => {
    const env = { DATABASE_URL: throughProxy(`sslmode=verify-full&sslrootcert=${certs.caFile}`), TESSERA_PEPPER: testPepper, TESSERA_LOG_LEVEL: "silent" };
    const admin = await startAdmin(env);
    const validator = await startValidator(env);
    const client = validatorClient(validator.grpcPort);
    try {
      const created = await adminClient(admin.port, admin.bootstrapped!.adminToken).createToken({ name: "over tls", scopes: ["orders:read"] });
      await eventually(async () => (await client.validate(created.tokenValue)).valid, 5000);
      expect(proxy.tlsSessions()).toBeGreaterThan(0);
      expect(proxy.cleartextRefused()).toBe(0);
    } finally {
      client.close();
      await validator.close();
      await admin.close();
    }
  });

  it("a server without TLS, or a certificate the CA did not sign: one clear line, exit 1", async () => {
    const plain = new URL(database.url!);
    plain.searchParams.set("sslmode", "require");
    const noTls = spawnService("token-admin", { DATABASE_URL: plain.toString(), TESSERA_PEPPER: testPepper, TESSERA_ADMIN_PORT: "0" });
    expect(await noTls.exited).toBe(1);
    expect(noTls.errorLines.filter((line) => line.startsWith("token-admin:"))).toEqual([
      "token-admin: cannot start: database does not offer TLS, but DATABASE_URL asks for it (sslmode): enable TLS on Postgres or change sslmode",
    ]);
    const wrongCa = spawnService("token-admin", { DATABASE_URL: throughProxy(`sslmode=verify-full&sslrootcert=${certs.otherCaFile}`), TESSERA_PEPPER: testPepper, TESSERA_ADMIN_PORT: "0" });
    expect(await wrongCa.exited).toBe(1);
    const line = wrongCa.errorLines.find((l) => l.startsWith("token-admin:"));
    expect(line).toMatch(/^token-admin: cannot start: database's TLS certificate was refused \(\w+: .*\): set sslrootcert in DATABASE_URL/);
  });
});
