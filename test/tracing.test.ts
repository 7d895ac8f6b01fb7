import { randomBytes } from "node:crypto";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createValidatorClient, type ValidatorClient } from "@tessera/client";
import { eventually } from "./support/clients.js";
import { startDeployment, type Deployment } from "./support/deployment.js";
import { deploymentEnv } from "./support/in-process.js";
import { extAuthzClient, httpCheck, type ExtAuthzClient } from "./load-balancers/support/ext-authz-client.js";
import { startOtlpReceiver, type OtlpReceiver, type ReceivedSpan } from "./support/otlp-receiver.js";
import { spawnService } from "./support/spawn-service.js";
import { createPostgresDatabase } from "./support/test-database.js";
import { uniqueRedisPrefix } from "./support/test-redis.js";

/** A caller's W3C trace context: a fresh trace, its span, sampled or not. */
function callerContext(sampled = true) {
  const traceId = randomBytes(16).toString("hex");
  const spanId = randomBytes(8).toString("hex");
  return { traceId, spanId, traceparent: `00-${traceId}-${spanId}-${sampled ? "01" : "00"}` };
}

const serverKind = 2;
const clientKind = 3;

describe("OpenTelemetry traces, exported over OTLP/HTTP to a real receiver", () => {
  let receiver: OtlpReceiver;
  let d: Deployment;
  let validator: ValidatorClient;
  let envoy: ExtAuthzClient;
  let token: string;

  beforeAll(async () => {
    receiver = await startOtlpReceiver();
    // No decision is traced for a caller without trace context: every validator span here is one a caller asked for.
    d = await startDeployment({ OTEL_EXPORTER_OTLP_ENDPOINT: receiver.endpoint, OTEL_BSP_SCHEDULE_DELAY: "50", TESSERA_TRACE_SAMPLE_RATIO: "0" });
    validator = createValidatorClient({ address: `127.0.0.1:${d.validator.grpcPort}`, timeoutMs: 2000 });
    envoy = extAuthzClient(d.validator.grpcPort);
    token = (await d.adminApi.createToken({ name: "traced", scopes: ["orders:read"] })).tokenValue;
    await eventually(async () => (await validator.validateToken(token)).valid, 5000);
  });
  afterAll(async () => {
    validator?.close();
    envoy?.close();
    await d?.close();
    await receiver?.close();
  });

  const tokenLeaked = () => receiver.spans.filter((span) => JSON.stringify(span).includes(token.slice(8)));

  it("spans an admin RPC, its database queries as its children, without a token or a parameter in them", async () => {
    const created = await d.adminApi.createToken({ name: "made under a span", scopes: ["orders:read"] });
    const rpc = await receiver.waitForSpan((s) => s.name === "tessera.v1.TokenAdminService/CreateToken");
    expect(rpc).toMatchObject({ service: "token-admin", kind: serverKind, parentSpanId: "", attributes: { "rpc.system": "connect_rpc", "rpc.method": "CreateToken" } });
    const queries = await eventually(async () => receiver.spans.filter((s) => s.parentSpanId === rpc.spanId).length >= 3, 5000).then(() => receiver.spans.filter((s) => s.parentSpanId === rpc.spanId));
    expect(queries.every((q) => q.traceId === rpc.traceId && q.kind === clientKind && q.attributes["db.system.name"] === "postgresql")).toBe(true);
    expect(queries.map((q) => q.name)).toContain("INSERT");
    expect(queries.some((q) => String(q.attributes["db.query.text"]).startsWith("insert into \"token\""))).toBe(true);
    expect(receiver.spans.filter((span) => JSON.stringify(span).includes(created.tokenValue.slice(8)))).toEqual([]);
  });

  it("joins the caller's trace on an admin RPC, and marks a refused one failed", async () => {
    const caller = callerContext();
    await expect(d.as("tsr_pat_nonsense").getCaller({}, { headers: { traceparent: caller.traceparent } })).rejects.toThrow();
    const rpc = await receiver.waitForSpan((s) => s.traceId === caller.traceId);
    expect(rpc).toMatchObject({ name: "tessera.v1.TokenAdminService/GetCaller", parentSpanId: caller.spanId, statusCode: 2, attributes: { "rpc.connect_rpc.error_code": "Unauthenticated" } });
  });

  it("joins the caller's trace on a forward-auth check, with the decision on the span", async () => {
    const caller = callerContext();
    const res = await fetch(`http://127.0.0.1:${d.validator.httpPort}/auth?scope=orders:read`, { headers: { authorization: `Bearer ${token}`, traceparent: caller.traceparent } });
    expect(res.status).toBe(200);
    const span = await receiver.waitForSpan((s) => s.traceId === caller.traceId);
    expect(span).toMatchObject({ service: "token-validator", name: "GET /auth", kind: serverKind, parentSpanId: caller.spanId });
    expect(span.attributes).toMatchObject({ "tessera.surface": "forward_auth", "tessera.decision": "valid", "tessera.freshness": "current", "http.response.status_code": 200 });
    expect(span.attributes["tessera.token_id"]).toMatch(/^[0-9a-f-]{36}$/);
  });

  it("joins the trace carried in an ext_authz CheckRequest's headers, and in ValidateToken's metadata", async () => {
    const envoyCaller = callerContext();
    await envoy.check(httpCheck("GET", "/orders", { authorization: `Bearer ${token}`, traceparent: envoyCaller.traceparent }));
    const check = await receiver.waitForSpan((s) => s.traceId === envoyCaller.traceId);
    expect(check).toMatchObject({ name: "envoy.service.auth.v3.Authorization/Check", parentSpanId: envoyCaller.spanId, attributes: { "tessera.surface": "ext_authz", "tessera.decision": "valid" } });

    const serviceCaller = callerContext();
    expect((await validator.validateToken(token, { scope: "orders:write", traceContext: { traceparent: serviceCaller.traceparent } })).code).toBe("insufficient_scope");
    const validate = await receiver.waitForSpan((s) => s.traceId === serviceCaller.traceId);
    expect(validate).toMatchObject({ name: "tessera.v1.TokenValidatorService/ValidateToken", parentSpanId: serviceCaller.spanId, attributes: { "tessera.surface": "grpc", "tessera.decision": "insufficient_scope" } });
    expect(tokenLeaked()).toEqual([]);
  });

  it("traces no decision the caller did not sample (ratio 0 here): none before a sampled one that follows them", async () => {
    const unsampled = callerContext(false);
    for (let i = 0; i < 20; i++) {
      await fetch(`http://127.0.0.1:${d.validator.httpPort}/auth`, { headers: { authorization: `Bearer ${token}`, ...(i % 2 ? { traceparent: unsampled.traceparent } : {}) } });
      await validator.validateToken(token);
    }
    // Spans are exported in the order they ended: once this one is in, any span of the requests above would be too.
    const marker = callerContext();
    await fetch(`http://127.0.0.1:${d.validator.httpPort}/auth`, { headers: { authorization: `Bearer ${token}`, traceparent: marker.traceparent } });
    const markerSpan = await receiver.waitForSpan((s) => s.traceId === marker.traceId);
    const validatorSpans = receiver.spans.filter((s: ReceivedSpan) => s.service === "token-validator");
    expect(validatorSpans.at(-1)).toBe(markerSpan);
    expect(validatorSpans.filter((s) => s.traceId === unsampled.traceId || s.attributes["tessera.surface"] === undefined)).toEqual([]);
    expect(validatorSpans.length).toBe(4); // the four surfaces' sampled calls above
  });
});

describe("with OTEL_EXPORTER_OTLP_ENDPOINT unset", () => {
  let dir: string;
  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), "tessera-imports-"));
    // Reports, on stdout, every module resolved under node_modules/@opentelemetry.
    writeFileSync(
      join(dir, "hooks.mjs"),
      `let port;
export function initialize(data) { port = data.port; }
export async function resolve(specifier, context, next) {
  const resolved = await next(specifier, context);
  if (resolved.url.includes("/@opentelemetry/")) port.postMessage(resolved.url);
  return resolved;
}
`,
    );
    writeFileSync(
      join(dir, "watch-imports.mjs"),
      `import { register } from "node:module";
import { MessageChannel } from "node:worker_threads";
const { port1, port2 } = new MessageChannel();
port1.on("message", (url) => process.stdout.write("IMPORTED " + url + "\\n"));
port1.unref();
register(${JSON.stringify(pathToFileURL(join(dir, "hooks.mjs")).href)}, { data: { port: port2 }, transferList: [port2] });
`,
    );
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it("loads none of OpenTelemetry (and with it set, it does: the watch works)", async () => {
    const database = await createPostgresDatabase();
    const receiver = await startOtlpReceiver();
    try {
      const env = { ...deploymentEnv(database, uniqueRedisPrefix()), TESSERA_LOG_LEVEL: "info", TESSERA_ADMIN_PORT: "0" };
      const imports = async (extra: Record<string, string>) => {
        const admin = spawnService("token-admin", { ...env, ...extra }, { command: [process.execPath, "--import", pathToFileURL(join(dir, "watch-imports.mjs")).href, "services/token-admin/dist/main.js"] });
        const listening = await admin.waitForLog((l) => l.msg === "token-admin listening");
        // An answered call: the process is past every import its start and its admin API make.
        expect((await fetch(`http://127.0.0.1:${String(listening.port)}/metrics`)).status).toBe(200);
        await admin.stop();
        return admin.lines.filter((line) => line.startsWith("IMPORTED "));
      };
      expect(await imports({})).toEqual([]);
      expect((await imports({ OTEL_EXPORTER_OTLP_ENDPOINT: receiver.endpoint })).some((line) => line.includes("@opentelemetry/sdk-trace-base"))).toBe(true);
    } finally {
      await receiver.close();
      await database.drop();
    }
  });
});
