import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { eventually } from "../support/clients.js";
import { startDeployment, type Deployment } from "../support/deployment.js";
import { extAuthzClient, httpCheck } from "../load-balancers/support/ext-authz-client.js";
import { httpCall } from "../load-balancers/support/http-call.js";
import { tesseraCli } from "../incident/support.js";

// Three sources kept per token, on both sides, so the bound shows with a handful of uses.
const perToken = 3;

describe("where a token is used: the last distinct sources, in GetToken and the CLI", () => {
  let d: Deployment;
  beforeAll(async () => {
    d = await startDeployment({ TESSERA_USAGE_SOURCES_PER_TOKEN: String(perToken) });
  });
  afterAll(() => d?.close());

  const sourcesOf = async (id: string) => (await d.adminApi.getToken({ tokenId: id })).token!.useSources;

  it("records each surface's address and route with first/last seen and a count, written back coarsely", async () => {
    const created = await d.adminApi.createToken({ name: "used everywhere", scopes: ["orders:read"] });
    const id = created.token!.id;
    const value = created.tokenValue;
    await eventually(async () => (await d.validation.validate(value)).valid, 2000);
    await d.validation.validate(value);
    const envoy = extAuthzClient(d.validator.grpcPort);
    try {
      expect((await envoy.check(httpCheck("GET", "/orders/7?page=2", { authorization: `Bearer ${value}` }))).status?.code).toBe(0);
    } finally {
      envoy.close();
    }
    const proxied = await httpCall(d.validator.httpPort, "/auth", { headers: ["Authorization", `Bearer ${value}`, "X-Forwarded-For", "203.0.113.9, 10.0.0.1", "X-Original-URI", "/orders/9?x=1"] });
    expect(proxied.status).toBe(200);
    // A refused presentation is no use: a wrong scope leaves no source.
    expect((await d.validation.validate(value, "payroll:read")).valid).toBe(false);

    await eventually(async () => (await sourcesOf(id)).length === 3, 5000);
    const sources = await sourcesOf(id);
    const bySurface = Object.fromEntries(sources.map((s) => [s.surface, s]));
    expect(bySurface.grpc).toMatchObject({ address: "127.0.0.1", route: "", previousValue: false });
    // Two validations from one peer: one source counted twice (the eventual one above may add more).
    expect(Number(bySurface.grpc!.count)).toBeGreaterThanOrEqual(2);
    expect(bySurface.ext_authz).toMatchObject({ address: "127.0.0.1", route: "/orders/7", count: 1n });
    expect(bySurface.forward_auth).toMatchObject({ address: "203.0.113.9", route: "/orders/9", count: 1n });
    for (const s of sources) expect(Number(s.lastSeenTime!.seconds)).toBeGreaterThanOrEqual(Number(s.firstSeenTime!.seconds));

    // The CLI's `tokens get` shows them.
    const run = await tesseraCli(d.admin.port, ["tokens", "get", id], d.admin.bootstrapped!.adminToken);
    expect(run.code).toBe(0);
    const shown = JSON.parse(run.out) as { useSources: { surface: string; address: string }[] };
    expect(shown.useSources.map((s) => s.surface).sort()).toEqual(["ext_authz", "forward_auth", "grpc"]);
  });

  it("keeps at most the configured number per token, the most recently seen", async () => {
    const created = await d.adminApi.createToken({ name: "many proxies", scopes: [] });
    const value = created.tokenValue;
    await eventually(async () => (await d.validation.validate(value)).valid, 2000);
    const addresses = ["192.0.2.1", "192.0.2.2", "192.0.2.3", "192.0.2.4", "192.0.2.5"];
    for (const address of addresses) {
      await httpCall(d.validator.httpPort, "/auth", { headers: ["Authorization", `Bearer ${value}`, "X-Forwarded-For", address] });
      // Across flushes too: the admin side trims what validators sent earlier.
      await new Promise((resolve) => setTimeout(resolve, 250));
    }
    await eventually(async () => (await sourcesOf(created.token!.id)).some((s) => s.address === "192.0.2.5"), 5000);
    const sources = await sourcesOf(created.token!.id);
    expect(sources.length).toBeLessThanOrEqual(perToken);
    expect(sources.map((s) => s.address)).toContain("192.0.2.5");
    expect(sources.map((s) => s.address)).not.toContain("192.0.2.1");
    const stored = await d.database.handle.db.selectFrom("token_use_source").select("id").where("token_id", "=", created.token!.id).execute();
    expect(stored.length).toBeLessThanOrEqual(perToken);
  });
});
