// What tracing costs the validator's hot path, per request, measured in one process as
// CPU time (no network, no load generator: on a shared machine those add noise far
// larger than what is measured here). Each surface's handler is built as the composition root
// builds it — unwrapped when tracing is off, wrapped when it is on — and called in a
// tight loop, off and on interleaved, over a replica loaded from Postgres.
//
//   npx tsx bench/tracing-overhead.ts        (about a minute)
//
// "on, unsampled": tracing on at the default TESSERA_TRACE_SAMPLE_RATIO, callers sending
// no trace context (99 % of requests make no span). "on, all sampled": every caller
// sends a sampled traceparent, so every request makes and exports a span.
import { spawn } from "node:child_process";
import { createClient } from "@connectrpc/connect";
import { createGrpcTransport } from "@connectrpc/connect-node";
import { IncomingMessage, type ServerResponse } from "node:http";
import { Socket } from "node:net";
import { create, toBinary } from "@bufbuild/protobuf";
import { Metadata, type handleUnaryCall } from "@grpc/grpc-js";
import { CheckRequestSchema } from "@tessera/shared/gen/envoy/service/auth/v3/external_auth_pb";
import { TokenAdminService } from "@tessera/shared/gen/tessera/v1/admin_pb";
import { createLogger } from "@tessera/shared/log/logger";
import { createMetricsRegistry } from "@tessera/shared/metrics/metrics-registry";
import { startTracing } from "@tessera/shared/tracing/tracing";
import { loadValidatorConfig } from "@tessera/token-validator/config";
import { decide } from "@tessera/token-validator/domain/decide";
import { observeAll } from "@tessera/token-validator/domain/surface";
import { startTokenValidator } from "@tessera/token-validator/start-token-validator";
import { readCheckRequest } from "@tessera/token-validator/transport/check-request-reader";
import { createDecisionTracing, metadataCarrier } from "@tessera/token-validator/transport/decision-tracing";
import { extAuthzCheck } from "@tessera/token-validator/transport/ext-authz-check";
import { forwardAuth, type ForwardAuthHandler } from "@tessera/token-validator/transport/forward-auth";
import { createRouteTable } from "@tessera/token-validator/transport/route-table";
import { validateToken } from "@tessera/token-validator/transport/validate-token";
import { createValidatorMetrics } from "@tessera/token-validator/transport/validator-metrics";
import { startBenchDeployment } from "./support/bench-deployment.js";
import { formatSpread, spread } from "./support/stats.js";

const rounds = Number(process.env.TESSERA_BENCH_ROUNDS ?? 31);
const perRound = Number(process.env.TESSERA_BENCH_CALLS ?? 20_000);
const say = (text: string) => process.stdout.write(`${text}\n`);

/** An OTLP/HTTP sink in a process of its own, so receiving spans costs this one nothing. */
async function startSink(): Promise<{ endpoint: string; stop(): void }> {
  const child = spawn(process.execPath, [
    "-e",
    `require("node:http").createServer((q, s) => { q.resume(); q.on("end", () => s.writeHead(200, { "content-type": "application/json" }).end("{}")); }).listen(0, "127.0.0.1", function () { console.log(this.address().port); });`,
  ]);
  const port = await new Promise<string>((resolve) => child.stdout.once("data", (chunk: Buffer) => resolve(String(chunk).trim())));
  return { endpoint: `http://127.0.0.1:${port}`, stop: () => child.kill() };
}

/**
 * CPU nanoseconds per call of `run`, over `perRound` calls: CPU time, not
 * wall time, so that the time other processes hold the core is not counted.
 */
function nsPerCall(run: (i: number) => void): number {
  const started = process.cpuUsage();
  for (let i = 0; i < perRound; i++) run(i);
  const used = process.cpuUsage(started);
  return ((used.user + used.system) * 1000) / perRound;
}

/** Off, then each "on" variant, in alternating rounds after a warm-up; ratios to off per round. */
function compare(name: string, variants: Record<string, (i: number) => void>): void {
  const entries = Object.entries(variants);
  for (const [, run] of entries) nsPerCall(run);
  const ns = new Map<string, number[]>(entries.map(([label]) => [label, []]));
  for (let r = 0; r < rounds; r++) for (const [label, run] of entries) ns.get(label)!.push(nsPerCall(run));
  const off = ns.get("off")!;
  for (const [label, values] of ns) {
    const ratio = label === "off" ? "" : `; ÷ off ${formatSpread(spread(values.map((v, r) => v / off[r]!)))}`;
    say(`| ${name} | ${label} | ${spread(values).median.toFixed(0)} ns${ratio} |`);
  }
}

const sink = await startSink();
const deployment = await startBenchDeployment();
const validator = await startTokenValidator(loadValidatorConfig({ ...deployment.env, TESSERA_VALIDATOR_PORT: "0", TESSERA_VALIDATOR_HTTP_PORT: "0", TESSERA_SHUTDOWN_DELAY_MS: "0" }), createLogger("warn", "token-validator"));
const tracing = await startTracing({ endpoint: sink.endpoint, serviceName: "bench", exportDelayMs: 1000 });
try {
  const adminApi = createClient(TokenAdminService, createGrpcTransport({ baseUrl: `http://127.0.0.1:${deployment.admin.port}` }));
  const { tokenValue } = await adminApi.createToken({ name: "bench", scopes: ["orders:read"] }, { headers: { authorization: `Bearer ${deployment.admin.bootstrapped!.adminToken}` } });
  const ctx = validator.decisions;
  while (!decide(ctx, tokenValue, "", Date.now()).valid) await new Promise((resolve) => setTimeout(resolve, 20));

  // As start-token-validator composes them: the same observers and meters, the tracing ones added when on.
  const metrics = createValidatorMetrics(createMetricsRegistry(), { replica: () => ctx.replica, freshness: ctx.freshness, ready: () => true });
  const traced = createDecisionTracing(tracing, loadValidatorConfig({}).traceSampleRatio);
  const observeOff = observeAll(metrics.observe);
  const observeOn = observeAll(metrics.observe, traced.observe);
  const routes = createRouteTable([{ method: "GET", prefix: "/orders", scope: "orders:read", caseSensitive: true }]);
  const identityHeaders = { tokenId: "x-tessera-token-id", owner: "x-tessera-owner-id", organisation: "x-tessera-organisation-id", scopes: "x-tessera-scopes" };
  const traceparent = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01";
  say(`| surface | tracing | CPU per request (median of ${rounds} rounds × ${perRound} calls) |`);
  say("|---|---|---|");

  // forward-auth, as nginx asks: a fresh IncomingMessage per request, so headers are parsed as often as in a server.
  const faOptions = { tokenHeader: "authorization", identityHeaders, routes };
  const faOff: ForwardAuthHandler = forwardAuth(ctx, observeOff, faOptions, metrics.meter("forward_auth"));
  const faOn: ForwardAuthHandler = traced.forwardAuth(forwardAuth(ctx, observeOn, faOptions, metrics.meter("forward_auth")));
  const socket = new Socket();
  const nginxHeaders = ["Host", "127.0.0.1", "Authorization", `Bearer ${tokenValue}`, "X-Original-Method", "GET", "X-Original-URI", "/orders/1", "Connection", "keep-alive"];
  // Node's parser sets the header count that req.headers is built from, lazily, on first use.
  const headersCount = Object.getOwnPropertySymbols(new IncomingMessage(socket)).find((symbol) => symbol.description === "kHeadersCount")!;
  const request = (rawHeaders: string[]) => Object.assign(new IncomingMessage(socket), { rawHeaders, method: "GET", url: "/auth", [headersCount]: rawHeaders.length });
  const res = { statusCode: 200, writeHead: () => res, end: () => {} } as unknown as ServerResponse;
  compare("forward-auth", {
    off: () => faOff(request(nginxHeaders), res, "/auth"),
    "on, unsampled": () => faOn(request(nginxHeaders), res, "/auth"),
    "on, all sampled": () => faOn(request([...nginxHeaders, "traceparent", traceparent]), res, "/auth"),
  });

  // ValidateToken: the handler with the call grpc-js hands it.
  const vOff = validateToken(ctx, observeOff, metrics.meter("grpc"));
  const vOn = traced.unary("tessera.v1.TokenValidatorService/ValidateToken", "grpc", validateToken(ctx, observeOn, metrics.meter("grpc")), metadataCarrier);
  const sampledMetadata = new Metadata();
  sampledMetadata.set("traceparent", traceparent);
  const unary = (handler: handleUnaryCall<unknown, unknown>, metadata: Metadata) => handler({ request: { token: tokenValue, requiredScope: "orders:read" }, metadata } as never, () => {});
  compare("ValidateToken", {
    off: () => unary(vOff as handleUnaryCall<unknown, unknown>, new Metadata()),
    "on, unsampled": () => unary(vOn as handleUnaryCall<unknown, unknown>, new Metadata()),
    "on, all sampled": () => unary(vOn as handleUnaryCall<unknown, unknown>, sampledMetadata),
  });

  // ext_authz Check: reading the CheckRequest off the wire (with the trace headers when on), then the handler.
  const checkOptions = { tokenHeader: "authorization", headersToRemove: ["authorization"], identityHeaders, routes };
  const cOff = extAuthzCheck(ctx, observeOff, checkOptions, metrics.meter("ext_authz"));
  const cOn = traced.unary("envoy.service.auth.v3.Authorization/Check", "ext_authz", extAuthzCheck(ctx, observeOn, checkOptions, metrics.meter("ext_authz")), (call) => call.request);
  const checkBytes = (headers: Record<string, string>) =>
    toBinary(CheckRequestSchema, create(CheckRequestSchema, { attributes: { request: { http: { method: "GET", path: "/orders/1", host: "shop", headers: { ":authority": "shop", ":method": "GET", ":path": "/orders/1", "user-agent": "curl/8", authorization: `Bearer ${tokenValue}`, ...headers } } } } }));
  const plain = checkBytes({});
  const sampled = checkBytes({ traceparent });
  const header = new TextEncoder().encode("authorization");
  const check = (handler: typeof cOff, bytes: Uint8Array, traceContext: boolean) => handler({ request: readCheckRequest(bytes, header, { maxHeaders: 200, maxHeaderBytes: 96 * 1024 }, traceContext), metadata: new Metadata() } as never, () => {});
  compare("ext_authz Check", {
    off: () => check(cOff, plain, false),
    "on, unsampled": () => check(cOn as typeof cOff, plain, true),
    "on, all sampled": () => check(cOn as typeof cOff, sampled, true),
  });
} finally {
  await tracing.close();
  await validator.close();
  await deployment.close();
  sink.stop();
}
