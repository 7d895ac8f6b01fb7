import { globalAgent, request as httpsRequest } from "node:https";
import type { TLSSocket } from "node:tls";
import { createClient } from "@connectrpc/connect";
import { createGrpcTransport } from "@connectrpc/connect-node";
import { credentials } from "@grpc/grpc-js";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { TokenAdminService } from "@tessera/shared/gen/tessera/v1/admin_pb";
import { loadAdminConfig } from "@tessera/token-admin/config";
import type { RunningAdmin } from "@tessera/token-admin/start-token-admin";
import { loadValidatorConfig } from "@tessera/token-validator/config";
import type { RunningValidator } from "@tessera/token-validator/start-token-validator";
import { adminClient, eventually, validatorClient } from "./support/clients.js";
import { deploymentEnv, startAdmin, startValidator } from "./support/in-process.js";
import { createSnapshotAuth } from "@tessera/shared/snapshot/snapshot-auth";
import { Replica } from "@tessera/token-validator/domain/replica";
import { readCachedSnapshot } from "@tessera/token-validator/store/cached-snapshot-client";
import { testPepper } from "./support/admin-deps.js";
import { makeTestCertificates, type TestCertificates } from "./support/test-certificates.js";
import { createPostgresDatabase, type TestDatabase } from "./support/test-database.js";
import { uniqueRedisPrefix } from "./support/test-redis.js";

interface HttpsAnswer {
  readonly status: number;
  readonly body: string;
  readonly alpn: string | false | null;
  readonly headers: Record<string, string | string[] | undefined>;
}

/** One HTTPS/1.1 request (ALPN offering only http/1.1), trusting `ca`, presenting `client` when given. */
function https(port: number, path: string, options: { ca: string; method?: string; headers?: Record<string, string>; body?: string; client?: { cert: string; key: string } }): Promise<HttpsAnswer> {
  return new Promise((resolve, reject) => {
    const req = httpsRequest(
      // ALPN offered as curl --http1.1 and browsers' Connect over HTTP/1.1 would (RequestOptions' type lacks it; tls.connect reads it).
      { host: "localhost", port, path, method: options.method ?? "GET", headers: options.headers, ca: options.ca, agent: false, ...options.client, ...({ ALPNProtocols: ["http/1.1"] } as object) },
      (res) => {
        let body = "";
        res.setEncoding("utf8");
        res.on("data", (chunk: string) => (body += chunk));
        res.on("end", () => resolve({ status: res.statusCode ?? 0, body, alpn: (res.socket as TLSSocket).alpnProtocol, headers: res.headers }));
      },
    );
    req.on("error", reject);
    req.end(options.body);
  });
}

describe("TLS on every listener, client certificates on the validator", () => {
  let certs: TestCertificates;
  let database: TestDatabase;
  let admin: RunningAdmin;
  let mtls: RunningValidator;
  let tlsOnly: RunningValidator;
  let adminToken: string;
  let apiToken: string;

  beforeAll(async () => {
    certs = await makeTestCertificates();
    database = await createPostgresDatabase();
    const env = { ...deploymentEnv(database, uniqueRedisPrefix()), TESSERA_TLS_CERT_FILE: certs.serverCertFile, TESSERA_TLS_KEY_FILE: certs.serverKeyFile };
    admin = await startAdmin(env);
    mtls = await startValidator({ ...env, TESSERA_TLS_CLIENT_CA_FILE: certs.caFile });
    tlsOnly = await startValidator(env);
    adminToken = admin.bootstrapped!.adminToken;
  });

  afterAll(async () => {
    await tlsOnly?.close();
    await mtls?.close();
    await admin?.close();
    await database?.drop();
    certs?.remove();
  });

  it("admin port: Connect JSON over HTTPS/1.1 (ALPN http/1.1)", async () => {
    const answer = await https(admin.port, "/tessera.v1.TokenAdminService/CreateToken", {
      ca: certs.ca,
      method: "POST",
      headers: { "content-type": "application/json", authorization: `Bearer ${adminToken}` },
      body: JSON.stringify({ name: "over tls", scopes: ["orders:read"] }),
    });
    expect(answer.alpn).toBe("http/1.1");
    expect(answer.status, answer.body).toBe(200);
    apiToken = (JSON.parse(answer.body) as { tokenValue: string }).tokenValue;
    expect(apiToken).toMatch(/^tsr_pat_/);
  });

  it("admin port: gRPC over TLS (ALPN h2); cleartext is refused", async () => {
    const api = createClient(TokenAdminService, createGrpcTransport({
      baseUrl: `https://localhost:${admin.port}`,
      nodeOptions: { ca: certs.ca },
      interceptors: [(next) => (req) => (req.header.set("authorization", `Bearer ${adminToken}`), next(req))],
    }));
    expect((await api.getCaller({})).principal?.name).toBe("admin");
    await expect(adminClient(admin.port, adminToken).getCaller({})).rejects.toThrow();
    await expect(adminClient(admin.port, adminToken, "connect-json").getCaller({})).rejects.toThrow();
  });

  it("validator gRPC: ValidateToken over TLS with a client certificate the CA signed; refused without one, with a stranger's, or in cleartext", async () => {
    const signed = validatorClient(mtls.grpcPort, credentials.createSsl(Buffer.from(certs.ca), Buffer.from(certs.client.key), Buffer.from(certs.client.cert)));
    const anonymous = validatorClient(mtls.grpcPort, credentials.createSsl(Buffer.from(certs.ca)));
    const stranger = validatorClient(mtls.grpcPort, credentials.createSsl(Buffer.from(certs.ca), Buffer.from(certs.stranger.key), Buffer.from(certs.stranger.cert)));
    const cleartext = validatorClient(mtls.grpcPort);
    try {
      await eventually(async () => (await signed.validate(apiToken, "orders:read")).valid, 3000);
      await expect(anonymous.validate(apiToken)).rejects.toMatchObject({ code: 14 });
      await expect(stranger.validate(apiToken)).rejects.toMatchObject({ code: 14 });
      await expect(cleartext.validate(apiToken)).rejects.toMatchObject({ code: 14 });
    } finally {
      for (const client of [signed, anonymous, stranger, cleartext]) client.close();
    }
  });

  it("validator HTTP: forward-auth over HTTPS with a client certificate; the handshake fails without one", async () => {
    const headers = { authorization: `Bearer ${apiToken}`, "x-original-method": "GET", "x-original-uri": "/orders/7" };
    await eventually(async () => (await https(mtls.httpPort, "/auth", { ca: certs.ca, headers, client: certs.client })).status === 200, 3000);
    const allowed = await https(mtls.httpPort, "/auth", { ca: certs.ca, headers, client: certs.client });
    expect(allowed.headers["x-tessera-scopes"]).toBe("orders:read");
    await expect(https(mtls.httpPort, "/auth", { ca: certs.ca, headers })).rejects.toThrow();
    await expect(https(mtls.httpPort, "/auth", { ca: certs.ca, headers, client: certs.stranger })).rejects.toThrow();
  });

  it("validator: loads token-admin's cached snapshot over HTTPS (TESSERA_SNAPSHOT_URL=https://…), and refuses a server its CAs do not trust", async () => {
    const options = { url: `https://localhost:${admin.port}`, auth: createSnapshotAuth(testPepper), idleTimeoutMs: 10_000, deadTokenRetentionMs: 24 * 3600 * 1000, now: Date.now };
    await expect(readCachedSnapshot(options, new Replica())).rejects.toThrow(/certificate/);
    // What NODE_EXTRA_CA_CERTS does for a validator process, for this one.
    globalAgent.options.ca = certs.ca;
    try {
      const replica = new Replica();
      expect(await readCachedSnapshot(options, replica)).toBeGreaterThan(0n);
      expect(replica.tokenCount).toBeGreaterThan(0);
    } finally {
      delete globalAgent.options.ca;
    }
  });

  it("client certificates are optional: a TLS-only validator serves clients without one", async () => {
    const anonymous = validatorClient(tlsOnly.grpcPort, credentials.createSsl(Buffer.from(certs.ca)));
    try {
      await eventually(async () => (await anonymous.validate(apiToken, "orders:read")).valid, 3000);
    } finally {
      anonymous.close();
    }
    const headers = { authorization: `Bearer ${apiToken}`, "x-original-method": "GET", "x-original-uri": "/" };
    expect((await https(tlsOnly.httpPort, "/auth", { ca: certs.ca, headers })).status).toBe(200);
    // Trusting another CA trusts not this server.
    await expect(https(tlsOnly.httpPort, "/auth", { ca: certs.stranger.cert, headers })).rejects.toThrow();
  });
});

describe("TLS settings are checked once, at start, naming the variable and never a file's content", () => {
  let certs: TestCertificates;
  const base = { TESSERA_PEPPER: "tP4x-Qm9vR2kLw7ZcY8nJ3hG6fBd1sXe-test-0u5a" };

  beforeAll(async () => {
    certs = await makeTestCertificates();
  });
  afterAll(() => certs?.remove());

  const problem = (load: () => unknown) => {
    try {
      load();
    } catch (err) {
      return (err as Error).message;
    }
    return "no problem";
  };

  it("refuses unreadable, mismatched, half-given and misplaced files", () => {
    const unreadable = problem(() => loadAdminConfig({ ...base, TESSERA_TLS_CERT_FILE: "/no/such/cert.pem", TESSERA_TLS_KEY_FILE: certs.serverKeyFile }));
    expect(unreadable).toContain("TESSERA_TLS_CERT_FILE: cannot read /no/such/cert.pem (ENOENT)");
    const notPem = problem(() => loadAdminConfig({ ...base, TESSERA_TLS_CERT_FILE: "/etc/hostname", TESSERA_TLS_KEY_FILE: certs.serverKeyFile }));
    expect(notPem).toContain("TESSERA_TLS_CERT_FILE: /etc/hostname is not a PEM file");
    const half = problem(() => loadAdminConfig({ ...base, TESSERA_TLS_KEY_FILE: certs.serverKeyFile }));
    expect(half).toContain("TESSERA_TLS_CERT_FILE: TESSERA_TLS_CERT_FILE and TESSERA_TLS_KEY_FILE go together");
    const mismatched = problem(() => loadValidatorConfig({ ...base, TESSERA_TLS_CERT_FILE: certs.serverCertFile, TESSERA_TLS_KEY_FILE: certs.serverKeyFile.replace("server.key", "ca.pem") }));
    expect(mismatched).toContain("TESSERA_TLS_KEY_FILE");
    const clientCaAlone = problem(() => loadValidatorConfig({ ...base, TESSERA_TLS_CLIENT_CA_FILE: certs.caFile }));
    expect(clientCaAlone).toContain("TESSERA_TLS_CLIENT_CA_FILE: needs TESSERA_TLS_CERT_FILE and TESSERA_TLS_KEY_FILE");
    const redisCa = problem(() => loadAdminConfig({ ...base, REDIS_URL: "redis://127.0.0.1:6379", TESSERA_REDIS_CA_FILE: certs.caFile }));
    expect(redisCa).toContain("TESSERA_REDIS_CA_FILE: needs a rediss:// REDIS_URL");
    const rootCert = problem(() => loadAdminConfig({ ...base, DATABASE_URL: "postgres://tessera:hunter2-pw@db/tessera?sslmode=verify-full&sslrootcert=/no/ca.pem" }));
    expect(rootCert).toContain("DATABASE_URL: sslrootcert: cannot read /no/ca.pem (ENOENT)");
    expect(rootCert).not.toContain("hunter2-pw");
    const mode = problem(() => loadAdminConfig({ ...base, DATABASE_URL: "postgres://db/tessera?sslmode=always" }));
    expect(mode).toContain("DATABASE_URL: sslmode must be one of");
    for (const message of [unreadable, notPem, half, mismatched, clientCaAlone, redisCa]) expect(message).not.toContain("-----BEGIN");
    expect(problem(() => loadValidatorConfig({ ...base, TESSERA_TLS_CERT_FILE: certs.serverCertFile, TESSERA_TLS_KEY_FILE: certs.serverKeyFile, TESSERA_TLS_CLIENT_CA_FILE: certs.caFile }))).toBe("no problem");
  });
});
