import { request } from "node:http";
import { create, toBinary } from "@bufbuild/protobuf";
import { BinaryWriter, WireType } from "@bufbuild/protobuf/wire";
import { Client, credentials, status, type ServiceError } from "@grpc/grpc-js";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { CheckRequestSchema } from "@tessera/shared/gen/envoy/service/auth/v3/external_auth_pb";
import { captureLog, type CapturedLog } from "./support/captured-log.js";
import { startLoadBalancerDeployment, testRoutes, type IssuedToken, type LoadBalancerDeployment } from "./support/deployment.js";
import { extAuthzClient, httpCheck } from "./support/ext-authz-client.js";
import { httpCall, type HttpAnswer } from "./support/http-call.js";

/** Sends headers far past the server's limit; Node's parser answers before any handler runs. */
function oversizedHeaders(port: number, bytes: number): Promise<number> {
  return new Promise((resolve, reject) => {
    const req = request({ host: "127.0.0.1", port, path: "/auth", headers: { "x-padding": "p".repeat(bytes) }, agent: false }, (res) => {
      res.resume();
      resolve(res.statusCode ?? 0);
    });
    req.on("error", reject);
    req.end();
  });
}

/** Calls a unary method with raw bytes for a request: what a broken or hostile client can send. */
function rawUnary(port: number, path: string, bytes: Uint8Array): Promise<{ code: number; details: string; response?: Buffer }> {
  const client = new Client(`127.0.0.1:${port}`, credentials.createInsecure());
  return new Promise((resolve) => {
    client.makeUnaryRequest(path, (b: Buffer) => b, (b: Buffer) => b, Buffer.from(bytes), (err: ServiceError | null, response?: Buffer) => {
      client.close();
      resolve(err ? { code: err.code, details: err.details } : { code: status.OK, details: "", response });
    });
  });
}

describe("bad input on every surface: a clean refusal, never a 500, never a token in the log", () => {
  let deployment: LoadBalancerDeployment;
  let validatorLog: CapturedLog;
  let adminLog: CapturedLog;
  let token: IssuedToken;
  const answers: HttpAnswer[] = [];

  beforeAll(async () => {
    validatorLog = captureLog("token-validator");
    adminLog = captureLog("token-admin");
    // The test routes, and /reports for an upstream that ignores case.
    const routes = [...testRoutes, { prefix: "/reports", scope: "orders:admin", caseSensitive: false }];
    deployment = await startLoadBalancerDeployment({ log: { admin: adminLog.log, validator: validatorLog.log }, validatorEnv: { TESSERA_ROUTES: JSON.stringify(routes) } });
    token = await deployment.issue(["orders:read"]);
  });

  afterAll(async () => {
    await deployment?.close();
  });

  const forwardAuth = async (headers: string[], path = "/auth") => {
    const answer = await httpCall(deployment.validator.httpPort, path, { headers });
    answers.push(answer);
    return answer;
  };

  it("forward-auth refuses malformed credentials with 401 and the reason", async () => {
    const cases: [string[], string][] = [
      [[], "missing_token"],
      [["Authorization", `Basic ${Buffer.from(`user:${token.value}`).toString("base64")}`], "missing_token"],
      [["Authorization", token.value], "missing_token"],
      [["Authorization", `Bearer ${token.value}`, "Authorization", `Bearer ${token.value}`], "invalid_request"],
      [["Authorization", `Bearer ${token.value}, Bearer ${token.value}`], "invalid_request"],
      [["Authorization", `Bearer ${"x".repeat(8000)}`], "invalid_request"],
      // HTTP drops the trailing space: this arrives as a bare "Bearer".
      [["Authorization", "Bearer "], "missing_token"],
      [["Authorization", "Bearer  \t "], "missing_token"],
      [["Authorization", `Bearer ${token.value.slice(0, -1)}`], "malformed"],
      [["Authorization", "Bearer tsr_pat_\u00e9\u00e9\u00e9"], "malformed"],
      [["Authorization", `Bearer ${"tsr_pat_".padEnd(44, "0")}`], "malformed"],
    ];
    for (const [headers, code] of cases) {
      const answer = await forwardAuth(["X-Original-Method", "GET", "X-Original-URI", "/orders/1", ...headers]);
      expect(answer.status, code).toBe(401);
      expect(JSON.parse(answer.body), code).toEqual({ code });
    }
  });

  it("forward-auth refuses a request whose original URI it cannot trust with 403", async () => {
    const auth = ["Authorization", `Bearer ${token.value}`];
    const cases: string[][] = [
      ["X-Original-URI", "/public", "X-Forwarded-Uri", "/orders/1"],
      ["X-Original-Method", "GET", "X-Forwarded-Method", "POST", "X-Original-URI", "/orders/1"],
      ["X-Original-URI", "/orders/1", "X-Original-URI", "/public"],
      ["X-Original-URI", "*"],
      // No URI at all while a route table is configured.
      [],
    ];
    for (const headers of cases) {
      const answer = await forwardAuth([...auth, ...headers]);
      expect(answer.status, headers.join(" ")).toBe(403);
      expect(JSON.parse(answer.body)).toEqual({ code: "ambiguous_request" });
    }
    // The absolute form nginx's $request_uri can carry is matched on its path.
    expect((await forwardAuth([...auth, "X-Original-Method", "GET", "X-Original-URI", "http://shop.example/orders/1"])).status).toBe(200);
    expect((await forwardAuth([...auth, "X-Original-Method", "POST", "X-Original-URI", "http://shop.example/orders"])).status).toBe(403);
  });

  it("refuses /REPORTS, /Reports and /%52EPORTS under a case-insensitive /reports route, on forward-auth and ext_authz", async () => {
    const auth = ["Authorization", `Bearer ${token.value}`];
    const paths = ["/reports", "/REPORTS", "/Reports/2024", "/%52EPORTS/x"];
    for (const path of paths) {
      const answer = await forwardAuth([...auth, "X-Original-Method", "GET", "X-Original-URI", path]);
      expect(answer.status, path).toBe(403);
      expect(JSON.parse(answer.body), path).toEqual({ code: "insufficient_scope" });
    }
    const client = extAuthzClient(deployment.validator.grpcPort);
    try {
      for (const path of paths) expect((await client.check(httpCheck("GET", path, { authorization: `Bearer ${token.value}` }))).status?.code, path).toBe(7);
    } finally {
      client.close();
    }
    // A case-sensitive route (the default) does not cover another case: right for upstreams that tell them apart.
    expect((await forwardAuth([...auth, "X-Original-Method", "GET", "X-Original-URI", "/ADMIN"])).status).toBe(200);
  });

  it("answers oversized headers with 431 from the HTTP parser, not a 500", async () => {
    expect(await oversizedHeaders(deployment.validator.httpPort, 100 * 1024)).toBe(431);
    // The server is still there.
    expect((await forwardAuth(["Authorization", `Bearer ${token.value}`, "X-Original-URI", "/orders/1"])).status).toBe(200);
  });

  it("ext_authz and introspection refuse the same inputs without an error", async () => {
    const client = extAuthzClient(deployment.validator.grpcPort);
    try {
      for (const authorization of [`Bearer ${"x".repeat(100_000)}`, `Bearer ${token.value.slice(1)}`, "Bearer \u0000\u0001", `bearer ${token.value}`]) {
        const response = await client.check(httpCheck("GET", "/orders/1", { authorization }));
        expect(response.httpResponse.case).toBe(authorization.startsWith("bearer t") ? "okResponse" : "deniedResponse");
      }
      // Neither origin nor absolute form: no route can be matched, so no scope can be chosen.
      const weirdPath = await client.check(httpCheck("OPTIONS", "*", { authorization: `Bearer ${token.value}` }));
      expect(weirdPath.status).toMatchObject({ code: 7, message: "ambiguous_request" });
    } finally {
      client.close();
    }
    for (const body of [`token=${encodeURIComponent(token.value)}%`, "token=%E0%A4%A", "&&&=&token", `token=${token.value}\u0000`]) {
      const answer = await httpCall(deployment.validator.httpPort, "/introspect", {
        method: "POST",
        headers: ["Authorization", `Bearer ${token.value}`, "Content-Type", "application/x-www-form-urlencoded"],
        body,
      });
      answers.push(answer);
      // The caller lacks tessera:introspect: refused before the form is read.
      expect(answer.status).toBe(403);
    }
  });

  it("answers malformed protobuf on every gRPC method with INVALID_ARGUMENT, not INTERNAL", async () => {
    const port = deployment.validator.grpcPort;
    const malformed = {
      "a length past the end": new Uint8Array([0x0a, 0x05, 0x41]),
      "an unterminated varint": new Uint8Array([0x08, 0xff, 0xff, 0xff]),
      "wire type 7": new Uint8Array([0x0f]),
      "an end-group with no start": new Uint8Array([0x0c]),
    };
    const methods = ["/tessera.v1.TokenValidatorService/ValidateToken", "/envoy.service.auth.v3.Authorization/Check", "/grpc.health.v1.Health/Check"];
    for (const method of methods) {
      for (const [what, bytes] of Object.entries(malformed)) {
        const answer = await rawUnary(port, method, bytes);
        expect(answer.code, `${method}, ${what}: ${answer.details}`).toBe(status.INVALID_ARGUMENT);
      }
    }
    // Thousands of tiny fields are not a ValidateTokenRequest of two.
    const tiny = new BinaryWriter();
    for (let i = 0; i < 10_000; i++) tiny.tag(9, WireType.Varint).uint32(0);
    expect((await rawUnary(port, methods[0]!, tiny.finish())).code).toBe(status.INVALID_ARGUMENT);
    // The server is still there and still right.
    const client = extAuthzClient(port);
    try {
      expect((await client.check(httpCheck("GET", "/orders/1", { authorization: `Bearer ${token.value}` }))).status?.code).toBe(0);
    } finally {
      client.close();
    }
  });

  it("ext_authz denies a Check past its header bounds (not a gRPC error an Envoy might fail open on), and refuses one past the message bound", async () => {
    const port = deployment.validator.grpcPort;
    const client = extAuthzClient(port);
    try {
      const manyHeaders = Object.fromEntries(Array.from({ length: 250 }, (_, i) => [`x-h${i}`, "v"]));
      const tooMany = await client.check(httpCheck("GET", "/orders/1", { authorization: `Bearer ${token.value}`, ...manyHeaders }));
      expect(tooMany.status).toMatchObject({ code: 16, message: "invalid_request" });
      const bigHeaders = { "x-big": "b".repeat(100 * 1024) };
      const tooBig = await client.check(httpCheck("GET", "/orders/1", { authorization: `Bearer ${token.value}`, ...bigHeaders }));
      expect(tooBig.status).toMatchObject({ code: 16, message: "invalid_request" });
      // Envoy's own default limits (100 headers, 60 KiB) pass.
      const envoyMost = Object.fromEntries(Array.from({ length: 95 }, (_, i) => [`x-h${i}`, "v".repeat(600)]));
      expect((await client.check(httpCheck("GET", "/orders/1", { authorization: `Bearer ${token.value}`, ...envoyMost }))).status?.code).toBe(0);
    } finally {
      client.close();
    }
    const huge = toBinary(CheckRequestSchema, create(CheckRequestSchema, httpCheck("GET", "/orders/1", { "x-huge": "h".repeat(200 * 1024) })));
    expect((await rawUnary(port, "/envoy.service.auth.v3.Authorization/Check", huge)).code).toBe(status.RESOURCE_EXHAUSTED);
  });

  it("never answered 500 and never logged a token value", async () => {
    expect(answers.length).toBeGreaterThan(10);
    for (const answer of answers) expect(answer.status).not.toBe(500);
    // The capture works: the services did log.
    expect(validatorLog.lines.some((line) => line.includes("token-validator listening"))).toBe(true);
    const logs = [...validatorLog.lines, ...adminLog.lines].join("\n");
    expect(logs).not.toContain(token.value);
    expect(logs).not.toContain(token.value.slice(8, 38));
    expect(logs).not.toContain(deployment.adminToken);
  });
});
