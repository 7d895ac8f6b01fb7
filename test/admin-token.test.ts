import { execFile } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { Code } from "@connectrpc/connect";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { fromBinary } from "@bufbuild/protobuf";
import { createMessageSeal } from "@tessera/shared/feed/message-seal";
import { FeedMessageSchema, TokenState, type ChangeRecord } from "@tessera/shared/gen/tessera/feed/v1/feed_pb";
import { ValidationCode } from "@tessera/shared/gen/tessera/v1/validator_pb";
import { testPepper } from "./support/admin-deps.js";
import { adminClient, eventually } from "./support/clients.js";
import { clusterEnv, spawnAdmin, spawnValidator, type SpawnedAdmin, type SpawnedValidator } from "./support/feed-cluster.js";
import { spawnService } from "./support/spawn-service.js";
import { createPostgresDatabase, type TestDatabase } from "./support/test-database.js";
import { connectRedis, uniqueRedisPrefix } from "./support/test-redis.js";

const root = fileURLToPath(new URL("..", import.meta.url));

/** Runs one of the built scripts (the recovery, the CLI) with `env` and no more; resolves with its exit code and output. */
function run(script: string, args: string[], env: Record<string, string>): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(process.execPath, [script, ...args], { cwd: root, env: { PATH: process.env.PATH, ...env } }, (err, stdout, stderr) => {
      resolve({ code: err ? ((err as { code?: number }).code ?? 1) : 0, stdout, stderr });
    });
  });
}
const recover = (env: Record<string, string>) => run("services/token-admin/dist/recover-admin.js", [], env);

const unauthenticated = { code: Code.Unauthenticated };

describe("the built-in admin's token in production: a 0600 file, an expiry, a local recovery", () => {
  let database: TestDatabase;
  let dir: string;
  let env: Record<string, string>;
  let admin: SpawnedAdmin;
  let validator: SpawnedValidator;
  let tokenFile: string;

  beforeAll(async () => {
    database = await createPostgresDatabase();
    dir = mkdtempSync(join(tmpdir(), "tessera-admin-token-"));
    tokenFile = join(dir, "secrets", "admin-token");
    env = { ...clusterEnv(database, uniqueRedisPrefix()), TESSERA_ADMIN_TOKEN_FILE: tokenFile, TESSERA_ADMIN_TOKEN_TTL_MS: String(3600_000) };
    admin = await spawnAdmin(env);
    await admin.service.waitForLog((line) => line.msg?.startsWith("built-in admin token written") === true);
    // Polling once a minute: what it learns within seconds, it learns from the feed.
    validator = await spawnValidator({ ...env, TESSERA_POLL_INTERVAL_MS: "60000", TESSERA_MAX_STALENESS_MS: "120000" });
  });

  afterAll(async () => {
    await validator?.close();
    await admin?.service.stop();
    await database?.drop();
    rmSync(dir, { recursive: true, force: true });
  });

  it("writes the token to its file (0600, in a 0700 folder it made), never to stdout or the log, expiring after the configured time", async () => {
    const token = readFileSync(tokenFile, "utf8").trim();
    expect(token).toMatch(/^tsr_pat_/);
    expect(statSync(tokenFile).mode & 0o777).toBe(0o600);
    expect(statSync(join(dir, "secrets")).mode & 0o777).toBe(0o700);
    expect(admin.service.lines.join("\n")).not.toMatch(/tsr_/);
    const api = adminClient(admin.port, token);
    expect((await api.getCaller({})).principal?.name).toBe("admin");
    const own = (await api.listTokens({ pageSize: 100 })).tokens.find((t) => t.name === "built-in admin")!;
    const expiresInMs = Number(own.expireTime!.seconds) * 1000 - Date.now();
    expect(expiresInMs).toBeGreaterThan(3500_000);
    expect(expiresInMs).toBeLessThanOrEqual(3600_000);
    expect((await validator.client.validate(token)).valid).toBe(true);
  });

  it("recovers from the database: a new token in the file, the old one revoked at once on the admin API and, by the feed, on validators; audited", async () => {
    const old = readFileSync(tokenFile, "utf8").trim();
    // What the recovery publishes on the feed, read as a validator reads it.
    const seal = createMessageSeal(testPepper, "feed");
    const published: ChangeRecord[] = [];
    const listener = connectRedis();
    listener.on("messageBuffer", (_channel: Buffer, sealed: Buffer) => {
      const message = fromBinary(FeedMessageSchema, seal.open(sealed)!).message;
      if (message.case === "change") published.push(...message.value.records);
    });
    await listener.subscribe(`${env.TESSERA_REDIS_PREFIX}:changes`);
    const result = await recover(env);
    expect(result.stderr).toBe("");
    expect(result.code).toBe(0);
    expect(result.stdout).toContain(`new built-in admin token written to ${tokenFile}`);
    expect(result.stdout).not.toMatch(/tsr_/);
    const fresh = readFileSync(tokenFile, "utf8").trim();
    expect(fresh).not.toBe(old);
    expect(statSync(tokenFile).mode & 0o777).toBe(0o600);

    await expect(adminClient(admin.port, old).getCaller({})).rejects.toMatchObject(unauthenticated);
    const api = adminClient(admin.port, fresh);
    expect((await api.getCaller({})).principal?.name).toBe("admin");
    await eventually(async () => (await validator.client.validate(old)).code === ValidationCode.REVOKED, 3000);
    await eventually(async () => (await validator.client.validate(fresh)).valid, 3000);
    const event = (await api.listAuditEvents({ action: "instance.recover_admin", pageSize: 10 })).events[0];
    expect(event?.source).toMatch(/^local recovery by .+ \(pid \d+\)$/);
    expect(event?.details).toMatchObject({ revoked_token_ids: [expect.any(String)] });
    const revokedId = (event!.details as { revoked_token_ids: string[] }).revoked_token_ids[0];
    await eventually(async () => published.some((r) => r.record.case === "token" && r.record.value.id === revokedId && r.record.value.state === TokenState.REVOKED), 3000);
    listener.disconnect();
  });

  it("is also `tessera admin recover`, with the same environment", async () => {
    const old = readFileSync(tokenFile, "utf8").trim();
    const result = await run("packages/cli/dist/main.js", ["admin", "recover"], env);
    expect(result.code, result.stderr).toBe(0);
    const fresh = readFileSync(tokenFile, "utf8").trim();
    expect(fresh).not.toBe(old);
    await expect(adminClient(admin.port, old).getCaller({})).rejects.toMatchObject(unauthenticated);
    expect((await adminClient(admin.port, fresh).getCaller({})).principal?.name).toBe("admin");
  });

  it("a token file that cannot be written: the token goes nowhere else, and the log says how to recover", async () => {
    const fresh = await createPostgresDatabase();
    const unwritable = spawnService("token-admin", { ...env, DATABASE_URL: fresh.url!, TESSERA_ADMIN_TOKEN_FILE: "/etc/hostname/admin-token", TESSERA_ADMIN_PORT: "0" });
    try {
      const line = await unwritable.waitForLog((l) => l.msg?.startsWith("cannot write the built-in admin token") === true);
      expect(line.msg).toContain("npm run recover-admin");
      expect(unwritable.lines.join("\n")).not.toMatch(/tsr_/);
    } finally {
      await unwritable.stop();
      await fresh.drop();
    }
  });

  it("says so, in one line, on a store never bootstrapped", async () => {
    const empty = await createPostgresDatabase();
    try {
      const result = await recover({ ...env, DATABASE_URL: empty.url! });
      expect(result.code).toBe(1);
      expect(result.stderr).toBe("recover-admin: cannot recover: no built-in admin: this store was never bootstrapped (start token-admin once)\n");
    } finally {
      await empty.drop();
    }
  });
});

describe("the built-in admin's token embedded: the banner, and a recovery that waits for Tessera to stop", () => {
  let dir: string;
  let env: Record<string, string>;

  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), "tessera-admin-embedded-"));
    env = { TESSERA_DATA_DIR: join(dir, "data"), TESSERA_ADMIN_PORT: "0", TESSERA_VALIDATOR_PORT: "0", TESSERA_VALIDATOR_HTTP_PORT: "0" };
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it("prints the token with its expiry; recovery refuses while Tessera runs, then revokes it and prints a new one", async () => {
    const first = spawnService("embedded", env);
    let old: string;
    let pid: number | undefined;
    try {
      const ready = await first.waitForLog((l) => l.msg === "tessera embedded: ready", 60_000);
      old = await first.waitForText(/TESSERA_TOKEN=(tsr_pat_\w+)/);
      expect(first.lines.join("\n")).toMatch(/It expires \d{4}-\d\d-\d\dT/);
      expect((await adminClient(Number(ready.adminPort), old).getCaller({})).principal?.name).toBe("admin");
      pid = first.child.pid;
      const busy = await recover(env);
      expect(busy.code).toBe(1);
      expect(busy.stderr).toContain(`is in use by process ${pid}`);
    } finally {
      expect(await first.stop()).toBe(0);
    }

    const recovered = await recover(env);
    expect(recovered.code, recovered.stderr).toBe(0);
    const fresh = /TESSERA_TOKEN=(tsr_pat_\w+)/.exec(recovered.stdout)?.[1];
    expect(fresh).toBeDefined();

    const second = spawnService("embedded", env);
    try {
      const ready = await second.waitForLog((l) => l.msg === "tessera embedded: ready", 60_000);
      await expect(adminClient(Number(ready.adminPort), old).getCaller({})).rejects.toMatchObject(unauthenticated);
      expect((await adminClient(Number(ready.adminPort), fresh).getCaller({})).principal?.name).toBe("admin");
    } finally {
      await second.stop();
    }
  });
});
