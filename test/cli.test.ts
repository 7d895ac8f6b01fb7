import { execFile } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ValidationCode } from "@tessera/shared/gen/tessera/v1/validator_pb";
import { eventually } from "./support/clients.js";
import { startDeployment, type Deployment } from "./support/deployment.js";
import { runTessera } from "./support/cli-runner.js";

const root = fileURLToPath(new URL("..", import.meta.url));

/** `tessera …` in this process against the deployment, with the given stdin; returns the exit code and output. */
const tessera = (d: Deployment, args: string[], options: { token?: string; stdin?: string; env?: Record<string, string> } = {}) =>
  runTessera(args, { TESSERA_ADMIN_URL: `http://127.0.0.1:${d.admin.port}`, TESSERA_VALIDATOR_URL: `http://127.0.0.1:${d.validator.grpcPort}`, TESSERA_TOKEN: options.token, ...options.env }, options.stdin);

describe("the tessera command", () => {
  let d: Deployment;
  let admin: string;
  beforeAll(async () => {
    d = await startDeployment();
    admin = d.admin.bootstrapped!.adminToken;
  });
  afterAll(() => d?.close());

  it("creates a token and prints only its value on stdout", async () => {
    const run = await tessera(d, ["tokens", "create", "--name", "cli made", "--scope", "orders:read", "--expires", "30d"], { token: admin });
    expect(run.code).toBe(0);
    expect(run.out.trim()).toMatch(/^tsr_pat_\w{36}$/);
    expect(run.err).toContain("not shown again");
    const listed = await tessera(d, ["tokens", "list"], { token: admin });
    expect(listed.out).toContain("cli made");
    expect(listed.out).toContain(`tsr_pat_…${run.out.trim().slice(-4)}`);
    expect(listed.out).not.toContain(run.out.trim());
  });

  it("revokes only after the token's name is typed back, and reports acknowledgements", async () => {
    const created = await d.adminApi.createToken({ name: "careful", scopes: [] });
    const id = created.token!.id;
    const refused = await tessera(d, ["tokens", "revoke", id], { token: admin, stdin: "carefull\n" });
    expect(refused.code).toBe(1);
    expect(refused.err).toContain('Type "careful" to confirm');
    expect((await d.adminApi.getToken({ tokenId: id })).token?.revokeTime).toBeUndefined();
    const done = await tessera(d, ["tokens", "revoke", id, "--wait", "5s"], { token: admin, stdin: "careful\n" });
    expect(done.code).toBe(0);
    expect(done.out).toMatch(/1 of 1 validators applied it/);
    expect((await d.validation.validate(created.tokenValue)).code).toBe(ValidationCode.REVOKED);
  });

  it("deletes several tokens after confirmation, or with --yes", async () => {
    const ids = await Promise.all([1, 2].map(async (i) => (await d.adminApi.createToken({ name: `bulk ${i}`, scopes: [] })).token!.id));
    expect((await tessera(d, ["tokens", "delete", ...ids], { token: admin, stdin: "no\n" })).code).toBe(1);
    expect((await tessera(d, ["tokens", "delete", ...ids], { token: admin, stdin: "delete 2\n" })).out).toContain("Deleted 2 token(s).");
  });

  it("validates a token read from stdin, exiting 0 only when valid", async () => {
    const created = await d.adminApi.createToken({ name: "v", scopes: ["orders:read"] });
    await eventually(async () => (await d.validation.validate(created.tokenValue)).valid, 2000);
    const ok = await tessera(d, ["validate", "--scope", "orders:read"], { stdin: created.tokenValue });
    expect(ok.code).toBe(0);
    expect(JSON.parse(ok.out)).toMatchObject({ valid: true, code: "VALIDATION_CODE_VALID" });
    const wrongScope = await tessera(d, ["validate", "--scope", "orders:write"], { stdin: created.tokenValue });
    expect(wrongScope.code).toBe(3);
  });

  it("says what went wrong, with the status name, and exits 1; usage errors exit 2", async () => {
    const anonymous = await tessera(d, ["tokens", "list"]);
    expect(anonymous).toMatchObject({ code: 1 });
    expect(anonymous.err).toContain("error: unauthenticated:");
    const bad = await tessera(d, ["tokens", "create", "--name", "x", "--expires", "sometime"], { token: admin });
    expect(bad.code).toBe(2);
    const invalid = await tessera(d, ["tokens", "create", "--name", "x", "--scope", "NOT A SCOPE"], { token: admin });
    expect(invalid.err).toContain("error: invalid_argument: scopes[0]:");
  });

  it("signs in with a password from the environment or the prompt, printing a session token", async () => {
    await d.adminApi.createPrincipal({ name: "cli-user", kind: 1, permissions: [], password: "a good long password" });
    const orgName = (await d.adminApi.getOrganisation({})).organisation!.name;
    const fromEnv = await tessera(d, ["sign-in", "--org", orgName, "--user", "cli-user"], { env: { TESSERA_PASSWORD: "a good long password" } });
    expect(fromEnv.code).toBe(0);
    expect((await tessera(d, ["whoami"], { token: fromEnv.out.trim() })).out).toContain("cli-user (member)");
    // Or typed at the prompt (piped here).
    const typed = await tessera(d, ["sign-in", "--org", orgName, "--user", "cli-user"], { stdin: "a good long password\n" });
    expect(typed.out.trim()).toMatch(/^tsr_ses_/);
  });

  it("names TESSERA_TOKEN when the admin API asks for a credential and none was set", async () => {
    const anonymous = await tessera(d, ["whoami"]);
    expect(anonymous.code).toBe(1);
    expect(anonymous.err).toContain("error: unauthenticated: missing bearer token");
    expect(anonymous.err).toContain("TESSERA_TOKEN is not set: export TESSERA_TOKEN=");
    // A token that is set but wrong gets the server's answer only.
    const wrong = await tessera(d, ["whoami"], { token: "tsr_pat_not_a_token" });
    expect(wrong.err).not.toContain("TESSERA_TOKEN is not set");
  });

  it("creates a person with a password from TESSERA_PASSWORD or piped stdin, and refuses (creating nothing) with neither", async () => {
    const names = async () => (await d.adminApi.listPrincipals({})).principals.map((p) => p.name);
    const none = await tessera(d, ["principals", "create", "no-password", "--kind", "human", "--password"], { token: admin });
    expect(none.code).toBe(2);
    expect(none.err).toContain("set TESSERA_PASSWORD, pipe it on stdin");
    expect(await names()).not.toContain("no-password");

    const org = (await d.adminApi.getOrganisation({})).organisation!.name;
    const fromEnv = await tessera(d, ["principals", "create", "env-pw", "--kind", "human", "--password", "--quiet"], { token: admin, env: { TESSERA_PASSWORD: "a password from env" } });
    expect(fromEnv.out).toMatch(/^[0-9a-f-]{36}\n$/);
    const piped = await tessera(d, ["principals", "create", "piped-pw", "--kind", "human", "--password", "-q"], { token: admin, stdin: "a piped password\nnext line ignored\n" });
    expect(piped.code).toBe(0);
    expect((await d.as(undefined).signIn({ organisation: org, userName: "env-pw", password: "a password from env" })).sessionToken).toMatch(/^tsr_ses_/);
    expect((await d.as(undefined).signIn({ organisation: org, userName: "piped-pw", password: "a piped password" })).sessionToken).toMatch(/^tsr_ses_/);
  });

  it("sets a password later, and refuses to without one", async () => {
    const org = (await d.adminApi.getOrganisation({})).organisation!.name;
    const id = (await d.adminApi.createPrincipal({ name: "later", kind: 1, permissions: [] })).principal!.id;
    const refused = await tessera(d, ["principals", "set-password", id], { token: admin });
    expect(refused.code).toBe(2);
    const set = await tessera(d, ["principals", "set-password", id], { token: admin, stdin: "set later, at last\n" });
    expect(set).toMatchObject({ code: 0, out: "" });
    expect(set.err).toContain("Set a new password for later");
    const session = await d.as(undefined).signIn({ organisation: org, userName: "later", password: "set later, at last" });
    expect(session.sessionToken).toMatch(/^tsr_ses_/);
    expect((await tessera(d, ["principals", "set-password", id, "--remove"], { token: admin })).code).toBe(0);
    await expect(d.as(undefined).signIn({ organisation: org, userName: "later", password: "set later, at last" })).rejects.toThrow(/unauthenticated/i);
  });

  it("runs as the built binary", async () => {
    const { stdout } = await promisify(execFile)(process.execPath, ["packages/cli/dist/main.js", "--help"]);
    expect(stdout).toContain("Usage: tessera");
    expect(stdout).toContain("tokens");
  });

  it("runs as `npx tessera` from the checkout, and as `tessera` after a global install", async () => {
    const run = promisify(execFile);
    const { stdout } = await run("npx", ["--no-install", "tessera", "--help"], { cwd: root });
    expect(stdout).toContain("Usage: tessera");
    const prefix = mkdtempSync(join(tmpdir(), "tessera-global-"));
    try {
      await run("npm", ["install", "--global", ".", "--prefix", prefix, "--no-fund", "--no-audit"], { cwd: root });
      // From anywhere, with only the global bin folder added to PATH.
      const installed = await run("tessera", ["tokens", "list"], {
        cwd: tmpdir(),
        env: { PATH: `${join(prefix, "bin")}:${process.env.PATH}`, TESSERA_ADMIN_URL: `http://127.0.0.1:${d.admin.port}`, TESSERA_TOKEN: admin },
      });
      expect(installed.stdout).toMatch(/^ID\s+NAME/);
    } finally {
      rmSync(prefix, { recursive: true, force: true });
    }
  });
});
