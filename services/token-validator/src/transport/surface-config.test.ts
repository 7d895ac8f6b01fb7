import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { loadValidatorConfig } from "../config.js";

// The load-balancer settings of token-validator's config: parsed once, problems named, values never echoed.
describe("surface settings", () => {
  it("defaults: Authorization Bearer, removed upstream, x-tessera-* identity headers, no routes", () => {
    const config = loadValidatorConfig({});
    expect(config.tokenHeader).toBe("authorization");
    expect(config.headersToRemove).toEqual(["authorization"]);
    expect(config.identityHeaders).toEqual({ tokenId: "x-tessera-token-id", owner: "x-tessera-owner-id", organisation: "x-tessera-organisation-id", scopes: "x-tessera-scopes" });
    expect(config.introspectionScope).toBe("tessera:introspect");
    expect(config.routes).toEqual([]);
    expect(config.httpPort).toBe(9191);
  });

  it("reads the route table inline or from a file, and header names in any case", () => {
    const routes = [{ method: "GET", prefix: "/orders", scope: "orders:read" }];
    const parsed = [{ ...routes[0], caseSensitive: true }];
    expect(loadValidatorConfig({ TESSERA_ROUTES: JSON.stringify(routes) }).routes).toEqual(parsed);
    const file = join(mkdtempSync(join(tmpdir(), "tessera-routes-")), "routes.json");
    writeFileSync(file, JSON.stringify(routes));
    expect(loadValidatorConfig({ TESSERA_ROUTES_FILE: file }).routes).toEqual(parsed);
    const custom = loadValidatorConfig({ TESSERA_TOKEN_HEADER: "X-Api-Key", TESSERA_SCOPES_HEADER: "X-Scopes" });
    expect(custom.tokenHeader).toBe("x-api-key");
    expect(custom.headersToRemove).toEqual(["x-api-key"]);
    expect(custom.identityHeaders.scopes).toBe("x-scopes");
    expect(loadValidatorConfig({ TESSERA_HEADERS_TO_REMOVE: "Authorization, Cookie" }).headersToRemove).toEqual(["authorization", "cookie"]);
  });

  it("names every bad setting without echoing its value", () => {
    const secretish = "tsr_pat_do-not-echo";
    const attempt = () =>
      loadValidatorConfig({
        TESSERA_ROUTES: `[{"prefix":"${secretish}","scope":"x"}]`,
        TESSERA_ROUTES_FILE: "/nonexistent/routes.json",
        TESSERA_TOKEN_HEADER: "bad header",
        TESSERA_INTROSPECTION_SCOPE: "Not A Scope",
      });
    expect(attempt).toThrow(/TESSERA_ROUTES: \[0\.prefix\]/);
    expect(attempt).toThrow(/TESSERA_ROUTES_FILE: cannot be read/);
    expect(attempt).toThrow(/TESSERA_TOKEN_HEADER/);
    expect(attempt).toThrow(/TESSERA_INTROSPECTION_SCOPE/);
    expect(attempt).not.toThrow(new RegExp(secretish));
    expect(() => loadValidatorConfig({ TESSERA_ROUTES: "[]", TESSERA_ROUTES_FILE: "/x" })).toThrow(/TESSERA_ROUTES_FILE/);
    expect(() => loadValidatorConfig({ TESSERA_OWNER_HEADER: "authorization" })).toThrow(/identity headers must differ/);
    expect(() => loadValidatorConfig({ TESSERA_HEADERS_TO_REMOVE: "authorization,x-tessera-scopes" })).toThrow(/identity headers/);
  });
});
