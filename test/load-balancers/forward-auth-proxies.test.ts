import { readFileSync } from "node:fs";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startEchoUpstream, type EchoUpstream, type SeenRequest } from "./support/echo-upstream.js";
import { httpCall } from "./support/http-call.js";
import { startLoadBalancerDeployment, type IssuedToken, type LoadBalancerDeployment } from "./support/deployment.js";
import { deployFile, startCaddy, startNginx, type RunningProxy } from "./support/reverse-proxies.js";

// Real nginx and Caddy (Debian packages; .ci/run installs them) running the
// deploy/ configs the README shows, in front of an app that echoes what it saw.
describe("forward-auth behind real nginx and Caddy", () => {
  let deployment: LoadBalancerDeployment;
  let upstream: EchoUpstream;
  const proxies: RunningProxy[] = [];
  let reader: IssuedToken;
  let revoked: IssuedToken;

  beforeAll(async () => {
    deployment = await startLoadBalancerDeployment();
    upstream = await startEchoUpstream();
    proxies.push(await startNginx(deployment.validator.httpPort, upstream.port));
    proxies.push(await startCaddy(deployment.validator.httpPort, upstream.port));
    reader = await deployment.issue(["orders:read"]);
    revoked = await deployment.issue(["orders:read"]);
    await deployment.revoke(revoked);
  });

  afterAll(async () => {
    await Promise.all(proxies.map((proxy) => proxy.stop()));
    await upstream?.close();
    await deployment?.close();
  });

  it("are configured from the very files the README shows", () => {
    const readme = readFileSync(new URL("../../README.md", import.meta.url), "utf8");
    for (const file of ["nginx/nginx.conf", "caddy/Caddyfile", "traefik/dynamic.yml", "traefik/traefik.yml", "envoy/envoy.yaml"]) {
      expect(readme, `README quotes deploy/${file}`).toContain(deployFile(file).trim());
    }
  });

  /** Sends through the proxy; returns the answer and what the app saw (undefined if the request never reached it). */
  async function through(proxy: RunningProxy, path: string, headers: string[], method = "GET") {
    const before = upstream.seen.length;
    const answer = await httpCall(proxy.port, path, { method, headers, body: method === "POST" ? "{}" : undefined });
    const seen: SeenRequest | undefined = upstream.seen.length > before ? upstream.seen.at(-1) : undefined;
    return { answer, seen };
  }

  for (const name of ["nginx", "caddy"]) {
    describe(name, () => {
      const proxy = () => proxies.find((p) => p.name === name)!;

      it("lets a valid token through: the app sees its identity and not the token", async () => {
        const { answer, seen } = await through(proxy(), "/orders/42?page=1", ["Authorization", `Bearer ${reader.value}`, "X-Tessera-Owner-Id", "spoofed-by-client"]);
        expect(answer.status).toBe(200);
        expect(seen).toBeDefined();
        expect(seen!.url).toBe("/orders/42?page=1");
        expect(seen!.headers["x-tessera-token-id"]).toBe(reader.id);
        expect(seen!.headers["x-tessera-owner-id"]).toBe(reader.ownerId);
        expect(seen!.headers["x-tessera-organisation-id"]).toBe(reader.organisationId);
        expect(seen!.headers["x-tessera-scopes"]).toBe("orders:read");
        expect(seen!.headers.authorization).toBeUndefined();
      });

      it("refuses a revoked token with 401 and never reaches the app", async () => {
        const { answer, seen } = await through(proxy(), "/orders/42", ["Authorization", `Bearer ${revoked.value}`]);
        expect(answer.status).toBe(401);
        expect(answer.headers["www-authenticate"]).toBe('Bearer error="invalid_token"');
        expect(seen).toBeUndefined();
      });

      it("refuses a token without the route's scope with 403", async () => {
        const { answer, seen } = await through(proxy(), "/orders", ["Authorization", `Bearer ${reader.value}`], "POST");
        expect(answer.status).toBe(403);
        expect(answer.headers["www-authenticate"]).toBe('Bearer error="insufficient_scope"');
        expect(seen).toBeUndefined();
      });

      it("refuses a request with no token with 401", async () => {
        const { answer, seen } = await through(proxy(), "/orders/42", []);
        expect(answer.status).toBe(401);
        expect(answer.headers["www-authenticate"]).toBe("Bearer");
        expect(seen).toBeUndefined();
      });

      it("refuses garbage, other schemes and doubled Authorization headers", async () => {
        const cases = [
          ["Authorization", "Bearer not-a-token"],
          ["Authorization", `Basic ${Buffer.from("user:pass").toString("base64")}`],
          ["Authorization", `Bearer ${reader.value}x`],
          ["Authorization", `Token ${reader.value}`],
        ];
        for (const headers of cases) {
          const { answer, seen } = await through(proxy(), "/orders/42", headers);
          expect(answer.status, headers.join(" ")).toBe(401);
          expect(seen).toBeUndefined();
        }
        // nginx refuses a repeated Authorization header itself (400) before asking anyone;
        // Caddy passes both to Tessera, which refuses to pick one (401).
        const doubled = await through(proxy(), "/orders/42", ["Authorization", `Bearer ${reader.value}`, "Authorization", `Bearer ${reader.value}`]);
        expect(doubled.answer.status).toBe(name === "nginx" ? 400 : 401);
        expect(doubled.seen).toBeUndefined();
      });

      it("matches the route on the normalised path, so dot segments cannot dodge a scope", async () => {
        const { answer, seen } = await through(proxy(), "/public/../orders", ["Authorization", `Bearer ${reader.value}`], "POST");
        expect(answer.status).toBe(403);
        expect(seen).toBeUndefined();
      });
    });
  }
});
