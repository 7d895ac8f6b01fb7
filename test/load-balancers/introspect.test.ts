import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { PrincipalKind } from "@tessera/shared/gen/tessera/v1/identity_pb";
import { eventually } from "../support/clients.js";
import { httpCall } from "./support/http-call.js";
import { startLoadBalancerDeployment, type IssuedToken, type LoadBalancerDeployment } from "./support/deployment.js";

const form = "application/x-www-form-urlencoded";

describe("RFC 7662 token introspection: POST /introspect", () => {
  let deployment: LoadBalancerDeployment;
  let resourceServer: IssuedToken;
  let bystander: IssuedToken;
  let subject: IssuedToken;
  let revoked: IssuedToken;

  beforeAll(async () => {
    deployment = await startLoadBalancerDeployment();
    resourceServer = await deployment.issue(["tessera:introspect"]);
    bystander = await deployment.issue(["orders:read"]);
    subject = await deployment.issue(["orders:read", "orders:write"]);
    revoked = await deployment.issue(["orders:read"]);
    await deployment.revoke(revoked);
  });

  afterAll(async () => {
    await deployment?.close();
  });

  const introspect = (body: string, headers: string[] = ["Authorization", `Bearer ${resourceServer.value}`, "Content-Type", form]) =>
    httpCall(deployment.validator.httpPort, "/introspect", { method: "POST", headers, body });

  it("describes an active token: scope, client_id, sub, exp, iat, token_type and the feed seq", async () => {
    const answer = await introspect(`token=${encodeURIComponent(subject.value)}&token_type_hint=access_token`);
    expect(answer.status).toBe(200);
    expect(answer.headers["content-type"]).toBe("application/json");
    expect(answer.headers["cache-control"]).toBe("no-store");
    const body = JSON.parse(answer.body) as Record<string, unknown>;
    expect(body).toEqual({
      active: true,
      scope: "orders:read orders:write",
      client_id: subject.id,
      sub: subject.ownerId,
      organisation_id: subject.organisationId,
      token_type: "Bearer",
      exp: Math.floor(subject.expiresAtMs / 1000),
      iat: Math.floor(subject.createdAtMs / 1000),
      seq: Number(deployment.validator.follower.replica.appliedSeq),
    });
  });

  it("answers exactly {\"active\":false} for a revoked, unknown or malformed token", async () => {
    for (const token of [revoked.value, `${subject.value.slice(0, -1)}${subject.value.endsWith("A") ? "B" : "A"}`, "tsr_pat_not-a-token", "x"]) {
      const answer = await introspect(`token=${encodeURIComponent(token)}`);
      expect(answer.status).toBe(200);
      expect(answer.body).toBe('{"active":false}');
    }
  });

  it("refuses an unauthenticated caller (401) and a caller without the introspection scope (403)", async () => {
    const body = `token=${subject.value}`;
    const none = await introspect(body, ["Content-Type", form]);
    expect(none.status).toBe(401);
    expect(none.headers["www-authenticate"]).toBe("Bearer");
    const garbage = await introspect(body, ["Authorization", "Bearer tsr_pat_nonsense", "Content-Type", form]);
    expect(garbage.status).toBe(401);
    expect(garbage.headers["www-authenticate"]).toBe('Bearer error="invalid_token"');
    const revokedCaller = await introspect(body, ["Authorization", `Bearer ${revoked.value}`, "Content-Type", form]);
    expect(revokedCaller.status).toBe(401);
    const unscoped = await introspect(body, ["Authorization", `Bearer ${bystander.value}`, "Content-Type", form]);
    expect(unscoped.status).toBe(403);
    expect(unscoped.headers["www-authenticate"]).toBe('Bearer error="insufficient_scope"');
    expect(JSON.parse(unscoped.body)).toEqual({ code: "insufficient_scope" });
    const doubled = await introspect(body, ["Authorization", `Bearer ${resourceServer.value}`, "Authorization", `Bearer ${resourceServer.value}`, "Content-Type", form]);
    expect(doubled.status).toBe(401);
    expect(doubled.headers["www-authenticate"]).toBe('Bearer error="invalid_request"');
  });

  it("shows a caller only tokens of its own organisation; only a holder of every scope sees across", async () => {
    const client = deployment.client;
    const other = (await client.createOrganisation({ name: "elsewhere" })).organisation!;
    const principal = (await client.createPrincipal({ organisationId: other.id, name: "gateway", kind: PrincipalKind.TECHNICAL, permissions: ["tessera:introspect", "orders:read"] })).principal!;
    const gateway = await client.createToken({ name: "gateway", ownerId: principal.id, scopes: ["tessera:introspect"] });
    const neighbour = await client.createToken({ name: "neighbour", ownerId: principal.id, scopes: ["orders:read"] });
    await eventually(async () => deployment.validator.follower.replica.findToken(neighbour.token!.id) !== undefined, 2000);
    const asGateway = (token: string) => introspect(`token=${encodeURIComponent(token)}`, ["Authorization", `Bearer ${gateway.tokenValue}`, "Content-Type", form]);
    expect((await asGateway(subject.value)).body).toBe('{"active":false}'); // the default organisation's token
    expect(JSON.parse((await asGateway(neighbour.tokenValue)).body)).toMatchObject({ active: true, client_id: neighbour.token!.id });
    // The resource server's owner is the built-in admin (it holds "*"): it sees every organisation's tokens.
    expect(JSON.parse((await introspect(`token=${encodeURIComponent(neighbour.tokenValue)}`)).body)).toMatchObject({ active: true, organisation_id: other.id });
  });

  it("refuses a malformed request with 400 invalid_request (405 for other methods, 413 for oversized bodies)", async () => {
    const auth = ["Authorization", `Bearer ${resourceServer.value}`];
    const cases: [string, string[], string, number][] = [
      ["no token field", [...auth, "Content-Type", form], "token_type_hint=access_token", 400],
      ["empty token", [...auth, "Content-Type", form], "token=", 400],
      ["two tokens", [...auth, "Content-Type", form], `token=${subject.value}&token=${bystander.value}`, 400],
      ["two hints", [...auth, "Content-Type", form], `token=${subject.value}&token_type_hint=a&token_type_hint=b`, 400],
      ["JSON body", [...auth, "Content-Type", "application/json"], JSON.stringify({ token: subject.value }), 400],
      ["no content type", auth, `token=${subject.value}`, 400],
      ["oversized body", [...auth, "Content-Type", form], `token=${subject.value}&pad=${"x".repeat(10_000)}`, 413],
    ];
    for (const [what, headers, body, status] of cases) {
      const answer = await introspect(body, headers);
      expect(answer.status, what).toBe(status);
      expect(JSON.parse(answer.body), what).toMatchObject({ error: "invalid_request" });
    }
    // Without a Content-Length the limit holds while reading.
    const chunked = await httpCall(deployment.validator.httpPort, "/introspect", {
      method: "POST",
      headers: [...auth, "Content-Type", form, "Transfer-Encoding", "chunked"],
      body: `token=${subject.value}&pad=${"x".repeat(10_000)}`,
      chunked: true,
    });
    expect(chunked.status).toBe(413);
    const get = await httpCall(deployment.validator.httpPort, "/introspect", { headers: auth });
    expect(get.status).toBe(405);
    expect(get.headers.allow).toBe("POST");
  });
});
