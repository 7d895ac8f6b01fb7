import { execFile } from "node:child_process";
import { promisify } from "node:util";
import { create, toBinary } from "@bufbuild/protobuf";
import { BinaryWriter, WireType } from "@bufbuild/protobuf/wire";
import { createClient } from "@connectrpc/connect";
import { createGrpcTransport } from "@connectrpc/connect-node";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { HeaderValueOption_HeaderAppendAction as AppendAction } from "@tessera/shared/gen/envoy/config/core/v3/base_pb";
import { Authorization, CheckRequestSchema, CheckResponseSchema } from "@tessera/shared/gen/envoy/service/auth/v3/external_auth_pb";
import { Health, HealthCheckResponse_ServingStatus } from "@tessera/shared/gen/grpc/health/v1/health_pb";
import { startLoadBalancerDeployment, type IssuedToken, type LoadBalancerDeployment } from "./support/deployment.js";
import { extAuthzClient, httpCheck, type ExtAuthzClient } from "./support/ext-authz-client.js";

const overwrite = AppendAction.OVERWRITE_IF_EXISTS_OR_ADD;
const header = (key: string, value: string) => ({ header: { key, value }, appendAction: overwrite });

/** The exact denied CheckResponse for a refusal. */
function denied(grpcCode: number, httpStatus: number, code: string, challenge: [string, string] | undefined) {
  return create(CheckResponseSchema, {
    status: { code: grpcCode, message: code },
    httpResponse: {
      case: "deniedResponse",
      value: {
        status: { code: httpStatus },
        headers: [...(challenge ? [header(...challenge)] : []), header("content-type", "application/json"), header("cache-control", "no-store")],
        body: JSON.stringify({ code }),
      },
    },
  });
}

describe("Envoy ext_authz: envoy.service.auth.v3.Authorization/Check", () => {
  let deployment: LoadBalancerDeployment;
  let client: ExtAuthzClient;
  let reader: IssuedToken;
  let writer: IssuedToken;
  let revoked: IssuedToken;

  beforeAll(async () => {
    deployment = await startLoadBalancerDeployment();
    client = extAuthzClient(deployment.validator.grpcPort);
    reader = await deployment.issue(["orders:read"]);
    writer = await deployment.issue(["orders:read", "orders:write"]);
    revoked = await deployment.issue(["orders:read"]);
    await deployment.revoke(revoked);
  });

  afterAll(async () => {
    client?.close();
    await deployment?.close();
  });

  const bearer = (token: IssuedToken) => ({ authorization: `Bearer ${token.value}` });

  it("allows a valid token: identity headers overwrite the client's, the credential is removed", async () => {
    const response = await client.check(httpCheck("GET", "/orders/7?expand=items", { ...bearer(writer), "x-tessera-owner-id": "spoofed" }));
    expect(response).toEqual(
      create(CheckResponseSchema, {
        status: { code: 0 },
        httpResponse: {
          case: "okResponse",
          value: {
            headers: [
              header("x-tessera-token-id", writer.id),
              header("x-tessera-owner-id", writer.ownerId),
              header("x-tessera-organisation-id", writer.organisationId),
              header("x-tessera-scopes", "orders:read orders:write"),
            ],
            headersToRemove: ["authorization"],
          },
        },
      }),
    );
  });

  it("removes the scopes header instead of sending it empty when a token has no scopes", async () => {
    const unscoped = await deployment.issue([]);
    const response = await client.check(httpCheck("GET", "/anything", { ...bearer(unscoped), "x-tessera-scopes": "orders:admin" }));
    expect(response.httpResponse).toEqual({
      case: "okResponse",
      value: expect.objectContaining({
        headers: [header("x-tessera-token-id", unscoped.id), header("x-tessera-owner-id", unscoped.ownerId), header("x-tessera-organisation-id", unscoped.organisationId)].map((h) =>
          expect.objectContaining({ header: expect.objectContaining(h.header), appendAction: overwrite }),
        ),
        headersToRemove: ["authorization", "x-tessera-scopes"],
      }),
    });
  });

  it("denies a revoked token: 401, invalid_token, the code in a JSON body", async () => {
    expect(await client.check(httpCheck("GET", "/orders/7", bearer(revoked)))).toEqual(denied(16, 401, "revoked", ["www-authenticate", 'Bearer error="invalid_token"']));
  });

  it("denies a request with no Authorization header: 401 with a bare Bearer challenge", async () => {
    expect(await client.check(httpCheck("GET", "/orders/7", {}))).toEqual(denied(16, 401, "missing_token", ["www-authenticate", "Bearer"]));
  });

  it("denies a token without the route's scope: 403, insufficient_scope", async () => {
    expect(await client.check(httpCheck("POST", "/orders", bearer(reader)))).toEqual(denied(7, 403, "insufficient_scope", ["www-authenticate", 'Bearer error="insufficient_scope"']));
    expect((await client.check(httpCheck("POST", "/orders", bearer(writer)))).status?.code).toBe(0);
  });

  it("takes the scope from the route's context_extensions over the route table", async () => {
    const admin = { scope: "orders:admin" };
    expect((await client.check(httpCheck("GET", "/orders/7", bearer(writer), admin))).status?.code).toBe(7);
    expect((await client.check(httpCheck("GET", "/anything", bearer(reader), { scope: "orders:read" }))).status?.code).toBe(0);
    // Longest prefix wins: /admin needs orders:admin whatever the method.
    expect((await client.check(httpCheck("DELETE", "/admin/users", bearer(writer)))).status?.code).toBe(7);
  });

  it("reads raw headers when Envoy sends header_map (encode_raw_headers), and refuses a repeated credential there", async () => {
    const raw = (pairs: [string, string][]) => ({
      attributes: {
        request: { http: { method: "GET", path: "/orders/7", headerMap: { headers: pairs.map(([key, value]) => ({ key, rawValue: Buffer.from(value, "latin1") })) } } },
      },
    });
    expect((await client.check(raw([["authorization", `Bearer ${reader.value}`]]))).status?.code).toBe(0);
    const repeated = await client.check(raw([["authorization", `Bearer ${reader.value}`], ["authorization", `Bearer ${writer.value}`]]));
    expect(repeated).toEqual(denied(16, 401, "invalid_request", ["www-authenticate", 'Bearer error="invalid_request"']));
  });

  it("ignores the parts of a real CheckRequest outside the subset it reads (peers, time, metadata)", async () => {
    const request = create(CheckRequestSchema, httpCheck("GET", "/orders/7", bearer(reader)));
    // AttributeContext.source (1) and destination (2) are Peers; metadata_context (11) is Metadata:
    // fields this subset leaves out, encoded as Envoy sends them.
    const peer = new BinaryWriter().tag(2, WireType.LengthDelimited).string("frontend").finish();
    const metadata = new BinaryWriter().tag(1, WireType.LengthDelimited).bytes(new BinaryWriter().tag(1, WireType.LengthDelimited).string("envoy.filters.http.jwt_authn").finish()).finish();
    request.attributes!.$unknown = [
      { no: 1, wireType: WireType.LengthDelimited, data: new BinaryWriter().bytes(peer).finish() },
      { no: 2, wireType: WireType.LengthDelimited, data: new BinaryWriter().bytes(peer).finish() },
      { no: 11, wireType: WireType.LengthDelimited, data: new BinaryWriter().bytes(metadata).finish() },
    ];
    expect(toBinary(CheckRequestSchema, request).length).toBeGreaterThan(toBinary(CheckRequestSchema, create(CheckRequestSchema, httpCheck("GET", "/orders/7", bearer(reader)))).length);
    expect((await client.check(request)).status?.code).toBe(0);
  });

  it("refuses bad credentials cleanly: other schemes, joined repeats, oversized values, garbage, no HTTP attributes", async () => {
    const missing = denied(16, 401, "missing_token", ["www-authenticate", "Bearer"]);
    const invalidRequest = denied(16, 401, "invalid_request", ["www-authenticate", 'Bearer error="invalid_request"']);
    expect(await client.check(httpCheck("GET", "/orders/7", { authorization: "Basic dXNlcjpwYXNz" }))).toEqual(missing);
    expect(await client.check(httpCheck("GET", "/orders/7", { authorization: `Bearer ${reader.value},Bearer ${writer.value}` }))).toEqual(invalidRequest);
    expect(await client.check(httpCheck("GET", "/orders/7", { authorization: `Bearer ${"A".repeat(20_000)}` }))).toEqual(invalidRequest);
    expect(await client.check(httpCheck("GET", "/orders/7", { authorization: "Bearer " }))).toEqual(invalidRequest);
    expect(await client.check(httpCheck("GET", "/orders/7", { authorization: "Bearer tsr_pat_garbage" }))).toEqual(
      denied(16, 401, "malformed", ["www-authenticate", 'Bearer error="invalid_token"']),
    );
    expect(await client.check({ attributes: {} })).toEqual(missing);
    expect(await client.check({})).toEqual(missing);
  });

  it("reports the Authorization service over grpc.health.v1 and server reflection", async () => {
    const health = createClient(Health, createGrpcTransport({ baseUrl: `http://127.0.0.1:${deployment.validator.grpcPort}` }));
    expect((await health.check({ service: Authorization.typeName })).status).toBe(HealthCheckResponse_ServingStatus.SERVING);
    const { stdout } = await promisify(execFile)("node_modules/.bin/buf", ["curl", "--protocol", "grpc", "--http2-prior-knowledge", "--list-services", `http://127.0.0.1:${deployment.validator.grpcPort}`]);
    expect(stdout.split("\n")).toContain("envoy.service.auth.v3.Authorization");
  });
});
