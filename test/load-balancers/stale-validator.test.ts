import { randomBytes } from "node:crypto";
import { createClient } from "@connectrpc/connect";
import { createGrpcTransport } from "@connectrpc/connect-node";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { openDatabase } from "@tessera/shared/db/database";
import { Authorization } from "@tessera/shared/gen/envoy/service/auth/v3/external_auth_pb";
import { Health, HealthCheckResponse_ServingStatus } from "@tessera/shared/gen/grpc/health/v1/health_pb";
import { migrateToLatest } from "@tessera/token-admin/store/migrate";
import { loadValidatorConfig } from "@tessera/token-validator/config";
import { startTokenValidator, type RunningValidator } from "@tessera/token-validator/start-token-validator";
import { eventually } from "../support/clients.js";
import { testPepper } from "../support/admin-deps.js";
import { adminQuery, postgresServerUrl } from "../support/test-database.js";
import { redisUrl, uniqueRedisPrefix } from "../support/test-redis.js";
import { captureLog } from "./support/captured-log.js";
import { testRoutes } from "./support/deployment.js";
import { startEchoUpstream, type EchoUpstream } from "./support/echo-upstream.js";
import { extAuthzClient, httpCheck } from "./support/ext-authz-client.js";
import { httpCall } from "./support/http-call.js";
import { startCaddy, startNginx, type RunningProxy } from "./support/reverse-proxies.js";

// A validator that cannot load its replica (its database has no schema yet) is
// stale and fails closed: every surface says 503 "try again", not 401 "bad token".
describe("a stale validator fails closed on every surface, visibly", () => {
  const name = `tessera_test_${randomBytes(6).toString("hex")}`;
  const url = Object.assign(new URL(postgresServerUrl), { pathname: `/${name}` }).toString();
  let starting: Promise<RunningValidator>;
  let grpcPort: number;
  let httpPort: number;
  let upstream: EchoUpstream;
  const proxies: RunningProxy[] = [];
  const anyToken = `tsr_pat_${"A".repeat(36)}`;

  beforeAll(async () => {
    await adminQuery(`create database ${name}`);
    const config = loadValidatorConfig({
      DATABASE_URL: url,
      REDIS_URL: redisUrl,
      TESSERA_PEPPER: testPepper,
      TESSERA_REDIS_PREFIX: uniqueRedisPrefix(),
      TESSERA_VALIDATOR_PORT: "0",
      TESSERA_VALIDATOR_HTTP_PORT: "0",
      TESSERA_ROUTES: JSON.stringify(testRoutes),
    });
    // Serves at once, then retries its snapshot until the schema appears (below, in afterAll):
    // the ports the OS gave it are known from its "listening" line before the start resolves.
    const captured = captureLog("token-validator");
    starting = startTokenValidator(config, captured.log);
    let listening: { port: number; httpPort: number } | undefined;
    await eventually(async () => {
      listening = captured.lines.map((line) => JSON.parse(line) as { msg: string; port: number; httpPort: number }).find((line) => line.msg === "token-validator listening");
      return listening !== undefined;
    }, 10_000);
    [grpcPort, httpPort] = [listening!.port, listening!.httpPort];
    upstream = await startEchoUpstream();
    proxies.push(await startNginx(httpPort, upstream.port), await startCaddy(httpPort, upstream.port));
  });

  afterAll(async () => {
    await Promise.all(proxies.map((proxy) => proxy.stop()));
    await upstream?.close();
    const handle = await openDatabase({ url, dataDir: "", poolSize: 1 });
    await migrateToLatest(handle.db);
    await handle.close();
    await (await starting).close();
    await adminQuery(`drop database if exists ${name} with (force)`);
  });

  it("forward-auth answers 503 with Retry-After and the code", async () => {
    const answer = await httpCall(httpPort, "/auth", { headers: ["Authorization", `Bearer ${anyToken}`, "X-Original-URI", "/orders/1"] });
    expect(answer.status).toBe(503);
    expect(answer.headers["retry-after"]).toBe("1");
    expect(JSON.parse(answer.body)).toEqual({ code: "stale" });
  });

  it("ext_authz denies with 503 and Retry-After (a denial, not a gRPC error Envoy could fail open on)", async () => {
    const client = extAuthzClient(grpcPort);
    try {
      const response = await client.check(httpCheck("GET", "/orders/1", { authorization: `Bearer ${anyToken}` }));
      expect(response.status).toMatchObject({ code: 14, message: "stale" });
      expect(response.httpResponse.case).toBe("deniedResponse");
      const denied = response.httpResponse.case === "deniedResponse" ? response.httpResponse.value : undefined;
      expect(denied?.status?.code).toBe(503);
      expect(denied?.headers.map((h) => [h.header?.key, h.header?.value])).toContainEqual(["retry-after", "1"]);
    } finally {
      client.close();
    }
  });

  it("introspection refuses with 503; readiness, health and metrics all say not serving", async () => {
    const introspect = await httpCall(httpPort, "/introspect", {
      method: "POST",
      headers: ["Authorization", `Bearer ${anyToken}`, "Content-Type", "application/x-www-form-urlencoded"],
      body: `token=${anyToken}`,
    });
    expect(introspect.status).toBe(503);
    expect((await httpCall(httpPort, "/ready")).status).toBe(503);
    const health = createClient(Health, createGrpcTransport({ baseUrl: `http://127.0.0.1:${grpcPort}` }));
    expect((await health.check({ service: Authorization.typeName })).status).toBe(HealthCheckResponse_ServingStatus.NOT_SERVING);
    const metrics = (await httpCall(httpPort, "/metrics")).body;
    expect(metrics).toContain("tessera_validator_ready 0");
    expect(metrics).toContain('tessera_validator_freshness{state="stale"} 1');
  });

  it("nginx and Caddy pass the 503 and Retry-After on (nginx through the config's error_page)", async () => {
    for (const proxy of proxies) {
      const answer = await httpCall(proxy.port, "/orders/1", { headers: ["Authorization", `Bearer ${anyToken}`] });
      expect(answer.status, proxy.name).toBe(503);
      expect(answer.headers["retry-after"], proxy.name).toBe("1");
    }
    expect(upstream.seen).toHaveLength(0);
  });
});
