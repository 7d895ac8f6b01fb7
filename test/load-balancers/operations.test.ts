import { request } from "node:http";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { adminClient, eventually, validatorClient } from "../support/clients.js";
import { startValidator } from "../support/in-process.js";
import { startLoadBalancerDeployment, testRoutes, type IssuedToken, type LoadBalancerDeployment } from "./support/deployment.js";
import { extAuthzClient, httpCheck } from "./support/ext-authz-client.js";
import { httpCall } from "./support/http-call.js";

/** One sample's value from Prometheus text, or undefined if the series is absent. */
function sample(text: string, series: string): number | undefined {
  const line = text.split("\n").find((l) => l.startsWith(`${series} `));
  return line === undefined ? undefined : Number(line.slice(series.length + 1));
}

describe("operations: /metrics on both services, /ready, graceful shutdown", () => {
  let deployment: LoadBalancerDeployment;
  let token: IssuedToken;

  beforeAll(async () => {
    deployment = await startLoadBalancerDeployment();
    token = await deployment.issue(["orders:read"]);
  });

  afterAll(async () => {
    await deployment?.close();
  });

  it("validator /metrics counts decisions by surface and code, times them, and reports the replica", async () => {
    const port = deployment.validator.httpPort;
    const before = (await httpCall(port, "/metrics")).body;
    expect(sample(before, 'tessera_validator_decisions_total{surface="forward_auth",code="valid"}')).toBe(0);

    await httpCall(port, "/auth", { headers: ["Authorization", `Bearer ${token.value}`, "X-Original-URI", "/orders/1"] });
    await httpCall(port, "/auth", { headers: ["X-Original-URI", "/orders/1"] });
    const ext = extAuthzClient(deployment.validator.grpcPort);
    await ext.check(httpCheck("POST", "/orders", { authorization: `Bearer ${token.value}` }));
    ext.close();
    const grpc = validatorClient(deployment.validator.grpcPort);
    const validated = await grpc.validate(token.value, "orders:read");
    grpc.close();

    const answer = await httpCall(port, "/metrics");
    expect(answer.status).toBe(200);
    expect(answer.headers["content-type"]).toMatch(/^text\/plain; version=0\.0\.4/);
    const text = answer.body;
    expect(sample(text, 'tessera_validator_decisions_total{surface="forward_auth",code="valid"}')).toBe(1);
    expect(sample(text, 'tessera_validator_decisions_total{surface="forward_auth",code="missing_token"}')).toBe(1);
    expect(sample(text, 'tessera_validator_decisions_total{surface="ext_authz",code="insufficient_scope"}')).toBe(1);
    expect(sample(text, 'tessera_validator_decisions_total{surface="grpc",code="valid"}')).toBe(1);
    expect(sample(text, 'tessera_validator_request_duration_seconds_count{surface="forward_auth"}')).toBe(2);
    expect(sample(text, 'tessera_validator_request_duration_seconds_count{surface="grpc"}')).toBe(1);
    expect(sample(text, 'tessera_validator_request_duration_seconds_bucket{surface="ext_authz",le="+Inf"}')).toBe(1);
    expect(sample(text, "tessera_validator_applied_seq")).toBe(Number(validated.seq));
    // The head gauge shows the newest head a poll read: within a poll interval, the answer's own seq.
    const head = async () => sample((await httpCall(port, "/metrics")).body, "tessera_validator_feed_head_seq");
    await eventually(async () => (await head()) === Number(validated.seq), 5000);
    expect(sample(text, "tessera_validator_feed_lag_events")).toBe(0);
    expect((sample(text, 'tessera_validator_replica_size{entity="tokens",state="live"}') ?? 0) + (sample(text, 'tessera_validator_replica_size{entity="tokens",state="retained"}') ?? 0)).toBe(deployment.validator.follower.replica.tokenCount);
    expect(validated.freshnessDetail).toBe("");
    expect(sample(text, 'tessera_validator_freshness{state="current"}')).toBe(1);
    expect(sample(text, 'tessera_validator_freshness{state="stale"}')).toBe(0);
    // Proven within the bound (five seconds by default), by the feed's heartbeats and the polls.
    expect(sample(text, "tessera_validator_staleness_seconds")).toBeLessThanOrEqual(5);
    expect(sample(text, "tessera_validator_ready")).toBe(1);
    expect(text).toContain("process_cpu_user_seconds_total");
    expect(text).not.toContain(token.value);
  });

  it("token-admin /metrics counts RPCs by method and code and times them, on the admin's one port", async () => {
    await expect(adminClient(deployment.admin.port).listTokens({})).rejects.toThrow();
    await deployment.client.listTokens({ pageSize: 1 });
    const answer = await httpCall(deployment.admin.port, "/metrics");
    expect(answer.status).toBe(200);
    expect(sample(answer.body, 'tessera_admin_rpcs_total{method="ListTokens",code="unauthenticated"}')).toBe(1);
    expect(sample(answer.body, 'tessera_admin_rpcs_total{method="ListTokens",code="ok"}')).toBe(1);
    expect(sample(answer.body, 'tessera_admin_rpcs_total{method="CreateToken",code="ok"}')).toBeGreaterThanOrEqual(1);
    expect(sample(answer.body, 'tessera_admin_rpc_duration_seconds_count{method="ListTokens"}')).toBe(2);
    expect((await httpCall(deployment.admin.port, "/nothing-here")).status).toBe(404);
  });

  it("answers /ready with 200 while serving", async () => {
    const ready = await httpCall(deployment.validator.httpPort, "/ready");
    expect(ready.status).toBe(200);
    expect((await httpCall(deployment.validator.httpPort, "/elsewhere")).status).toBe(404);
  });

  it("on close: finishes the request in flight, then stops; new connections are refused", async () => {
    const validator = await startValidator({ ...deployment.env, TESSERA_ROUTES: JSON.stringify(testRoutes), TESSERA_INTROSPECTION_SCOPE: "orders:read" });
    const port = validator.httpPort;
    const count = async () => sample((await httpCall(port, "/metrics")).body, 'tessera_validator_decisions_total{surface="introspect",code="valid"}') ?? 0;

    // An introspection whose body is still on its way: the caller is already decided, the answer is not.
    const body = `token=${token.value}`;
    let answered: { status: number; body: string; connection: string | undefined } | undefined;
    let failed: Error | undefined;
    const req = request(
      { host: "127.0.0.1", port, path: "/introspect", method: "POST", agent: false, headers: { authorization: `Bearer ${token.value}`, "content-type": "application/x-www-form-urlencoded", "content-length": body.length } },
      (res) => {
        let text = "";
        res.setEncoding("utf8").on("data", (chunk: string) => (text += chunk));
        res.on("end", () => (answered = { status: res.statusCode ?? 0, body: text, connection: res.headers.connection }));
      },
    );
    req.on("error", (err) => (failed = err));
    req.write(body.slice(0, 10));
    await eventually(async () => (await count()) === 1, 5000);

    const closed = validator.close();
    // Closed for new connections while the in-flight request is still open.
    await eventually(async () => httpCall(port, "/ready").then(() => false, () => true), 5000);
    expect(answered).toBeUndefined();
    req.end(body.slice(10));
    await closed;
    await eventually(async () => answered !== undefined || failed !== undefined, 5000);
    expect(failed).toBeUndefined();
    expect(answered?.status).toBe(200);
    expect(JSON.parse(answered!.body)).toMatchObject({ active: true, client_id: token.id });
  });
});
