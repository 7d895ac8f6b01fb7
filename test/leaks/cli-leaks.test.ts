import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startDeployment, type Deployment } from "../support/deployment.js";
import { runTessera } from "../support/cli-runner.js";

/** `tessera …` in this process against the deployment's admin API, with the given stdin and environment. */
const tessera = (d: Deployment, args: string[], options: { token: string; stdin?: string; env?: Record<string, string> }) =>
  runTessera(args, { TESSERA_ADMIN_URL: `http://127.0.0.1:${d.admin.port}`, TESSERA_TOKEN: options.token, ...options.env }, options.stdin);

describe("tessera tokens identify, create --honeytoken, list --honeytokens", () => {
  let d: Deployment;
  let admin: string;
  beforeAll(async () => {
    d = await startDeployment();
    admin = d.admin.bootstrapped!.adminToken;
  });
  afterAll(() => d?.close());

  it("identifies a found token read from stdin or TESSERA_FOUND_TOKEN, never from the command line", async () => {
    const made = await tessera(d, ["tokens", "create", "--name", "found later", "--scope", "orders:read"], { token: admin });
    const value = made.out.trim();
    for (const input of [{ stdin: `${value}\n` }, { env: { TESSERA_FOUND_TOKEN: value } }]) {
      const run = await tessera(d, ["tokens", "identify"], { token: admin, ...input });
      expect(run.code, run.err).toBe(0);
      expect(run.out).toContain("found later");
      expect(run.out).toMatch(/\badmin\s+active\b/);
      expect(run.out).not.toContain(value);
    }
    const json = await tessera(d, ["--json", "tokens", "identify"], { token: admin, stdin: value });
    expect(JSON.parse(json.out).token.name).toBe("found later");
    const none = await tessera(d, ["tokens", "identify"], { token: admin });
    expect(none.code).toBe(2);
    expect(none.err).toContain("TESSERA_FOUND_TOKEN");
    // No command-line argument is accepted for the value.
    expect((await tessera(d, ["tokens", "identify", value], { token: admin })).code).not.toBe(0);
  });

  it("creates a honeytoken and lists it apart", async () => {
    const made = await tessera(d, ["tokens", "create", "--name", "decoy in the wiki", "--scope", "orders:read", "--honeytoken"], { token: admin });
    expect(made.code, made.err).toBe(0);
    expect(made.out.trim()).toMatch(/^tsr_pat_\w{36}$/);
    const decoys = await tessera(d, ["tokens", "list", "--honeytokens"], { token: admin });
    expect(decoys.out).toContain("decoy in the wiki");
    expect((await tessera(d, ["tokens", "list"], { token: admin })).out).not.toContain("decoy in the wiki");
  });
});
