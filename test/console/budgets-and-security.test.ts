import { readdirSync, readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { gzipSync } from "node:zlib";
import type { Browser } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { PrincipalKind } from "@tessera/shared/gen/tessera/v1/identity_pb";
import { startDeployment, type Deployment } from "../support/deployment.js";
import { goTo, launchBrowser, openConsole, signInWithPassword, signInWithToken, tokenRow } from "./support/console-browser.js";

// The console's promises that are not a screen: its weight, its headers and
// CSP, where its secrets (never) go, a big table, a session that ends.

const built = fileURLToPath(new URL("../../services/token-admin/dist/console/", import.meta.url));

describe("console: budgets and security", () => {
  let d: Deployment;
  let browser: Browser;
  let base: string;

  beforeAll(async () => {
    [d, browser] = await Promise.all([startDeployment(), launchBrowser()]);
    base = `http://127.0.0.1:${d.admin.port}`;
    const org = (await d.adminApi.createOrganisation({ name: "sec" })).organisation!;
    await d.adminApi.createPrincipal({ organisationId: org.id, name: "mia", kind: PrincipalKind.HUMAN, permissions: ["a:b"], password: "correct horse battery" });
  });
  afterAll(async () => {
    await browser?.close();
    await d?.close();
  });

  it("ships at most 80 KB of gzipped JavaScript, and only the admin contract", () => {
    const scripts = readdirSync(`${built}assets`).filter((f) => f.endsWith(".js"));
    expect(scripts.length).toBeGreaterThan(0);
    const gzipped = scripts.reduce((sum, f) => sum + gzipSync(readFileSync(`${built}assets/${f}`), { level: 9 }).length, 0);
    expect(gzipped).toBeLessThanOrEqual(80 * 1024);
    const code = scripts.map((f) => readFileSync(`${built}assets/${f}`, "utf8")).join("");
    expect(code).not.toContain("envoy.service.auth");
    expect(code).not.toContain("grpc.health.v1");
  });

  it("serves its files with a strict CSP, no framing, no referrer, and caching that fits their names", async () => {
    const index = await fetch(`${base}/`);
    expect(index.status).toBe(200);
    expect(index.headers.get("content-type")).toBe("text/html; charset=utf-8");
    const csp = index.headers.get("content-security-policy")!;
    expect(csp).toContain("default-src 'none'");
    expect(csp).toContain("script-src 'self'");
    expect(csp).toContain("frame-ancestors 'none'");
    expect(csp).not.toContain("unsafe-inline");
    expect(index.headers.get("x-frame-options")).toBe("DENY");
    expect(index.headers.get("referrer-policy")).toBe("no-referrer");
    expect(index.headers.get("x-content-type-options")).toBe("nosniff");
    expect(index.headers.get("cache-control")).toBe("no-cache");
    const html = await index.text();
    expect(html).not.toMatch(/<script(?![^>]*\bsrc=)[^>]*>/); // no inline script at all
    const script = /src="(\/assets\/[^"]+\.js)"/.exec(html)![1]!;

    const asset = await fetch(`${base}${script}`, { headers: { "accept-encoding": "gzip" } });
    expect(asset.status).toBe(200);
    expect(asset.headers.get("content-type")).toBe("text/javascript; charset=utf-8");
    expect(asset.headers.get("cache-control")).toBe("public, max-age=31536000, immutable");
    expect(asset.headers.get("content-encoding")).toBe("gzip");
    const etag = asset.headers.get("etag")!;
    const again = await fetch(`${base}${script}`, { headers: { "if-none-match": etag } });
    expect(again.status).toBe(304);
  });

  it("answers only its own files: no path leads elsewhere, and only GET or HEAD", async () => {
    const raw = (path: string, method = "GET") =>
      new Promise<number>((resolve, reject) => {
        // fetch would resolve "..": send the path exactly as written.
        import("node:http").then(({ request }) => {
          const req = request({ host: "127.0.0.1", port: d.admin.port, path, method }, (res) => (res.resume(), resolve(res.statusCode!)));
          req.on("error", reject);
          req.end();
        });
      });
    for (const path of ["/../package.json", "/assets/../../config.js", "/%2e%2e/%2e%2e/package.json", "/assets/%2e%2e/index.html", "/index.html/..", "//etc/passwd", "/assets/", "/start-token-admin.js"]) {
      expect({ path, status: await raw(path) }).toEqual({ path, status: 404 });
    }
    expect(await raw("/", "HEAD")).toBe(200);
    expect(await raw("/", "POST")).not.toBe(200);
    expect(await raw("/?x=1")).toBe(200);
  });

  it("the browser enforces the CSP: no violation in use, and injected inline script does not run", async () => {
    const { page, close } = await openConsole(browser, d.admin.port);
    await page.evaluate("window.__violations = []; document.addEventListener('securitypolicyviolation', (e) => window.__violations.push(e.violatedDirective))");
    await signInWithToken(page, d.admin.bootstrapped!.adminToken);
    for (const screen of ["All tokens", "Organisation", "Audit log", "Validators", "My tokens"]) await goTo(page, screen);
    await page.getByRole("button", { name: "Create token" }).click();
    await page.getByRole("dialog", { name: "Create a token" }).getByRole("button", { name: "Cancel" }).click();
    expect(await page.evaluate("window.__violations")).toEqual([]);
    await page.evaluate("const s = document.createElement('script'); s.textContent = 'window.__ran = true'; document.body.append(s)");
    // The violation event is dispatched asynchronously: wait for it, then check it is the only one.
    await page.waitForFunction("window.__violations.length > 0");
    expect(await page.evaluate("window.__ran === true")).toBe(false);
    expect(await page.evaluate("window.__violations")).toEqual(["script-src-elem"]);
    await close();
  });

  it("pages through 1,000 tokens on the server without freezing the page", async () => {
    const owner = (await d.adminApi.getCaller({})).principal!.id;
    for (let batch = 0; batch < 1000; batch += 50) {
      await Promise.all(Array.from({ length: 50 }, (_, i) => d.adminApi.createToken({ name: `bulk-${String(batch + i).padStart(4, "0")}`, scopes: [], ownerId: owner })));
    }
    const { page, close } = await openConsole(browser, d.admin.port);
    await signInWithToken(page, d.admin.bootstrapped!.adminToken);
    await page.evaluate("window.__long = []; new PerformanceObserver((list) => window.__long.push(...list.getEntries().map((e) => e.duration))).observe({ type: 'longtask' })");
    await page.getByLabel("Per page").selectOption("100");
    const seen = new Set<string>();
    for (let pageNumber = 1; ; pageNumber++) {
      await page.getByRole("caption").filter({ hasText: new RegExp(`page ${pageNumber}$`) }).waitFor();
      const names = await page.getByRole("rowheader").allTextContents();
      expect(names.length).toBeLessThanOrEqual(100);
      for (const name of names) seen.add(name);
      const next = page.getByRole("button", { name: "Next page" });
      if (await next.isDisabled()) break;
      await next.click();
    }
    expect([...seen].filter((n) => n.startsWith("bulk-")).length).toBe(1000);
    // A frozen page is one task blocking input for over 200 ms: count them over the whole walk.
    const frozen = ((await page.evaluate("window.__long")) as number[]).filter((ms) => ms > 200);
    expect(frozen).toEqual([]);
    await close();
  });

  it("a session that ends sends the person to sign-in with a clear message, its credential forgotten", async () => {
    const { page, close } = await openConsole(browser, d.admin.port);
    await signInWithPassword(page, "sec", "mia", "correct horse battery");
    const session = JSON.parse((await page.evaluate("sessionStorage.getItem('tessera.session')")) as string) as { token: string };
    const { tokenId } = await d.as(session.token).getCaller({});
    await d.adminApi.revokeToken({ tokenId });
    await goTo(page, "Audit log").catch(() => undefined); // the next call is refused
    await page.getByRole("alert").filter({ hasText: "Your session has ended. Sign in again to continue." }).waitFor();
    await page.getByRole("heading", { level: 1, name: "Sign in to Tessera" }).waitFor();
    expect(await page.evaluate("sessionStorage.length")).toBe(0);

    // A session past its expiry time ends by itself, with nothing clicked.
    await signInWithPassword(page, "sec", "mia", "correct horse battery");
    await page.evaluate("const s = JSON.parse(sessionStorage.getItem('tessera.session')); sessionStorage.setItem('tessera.session', JSON.stringify({ ...s, expiresAt: Date.now() + 300 }))");
    await page.reload();
    await page.getByRole("alert").filter({ hasText: "Your session has ended." }).waitFor();
    expect(await page.evaluate("sessionStorage.length")).toBe(0);
    expect(await tokenRow(page, "x").count()).toBe(0);
    await close();
  });
});
