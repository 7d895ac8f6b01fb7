import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Code, ConnectError } from "@connectrpc/connect";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { PrincipalKind, Role } from "@tessera/shared/gen/tessera/v1/identity_pb";
import type { TokenKind, TokenLevel } from "@tessera/shared/gen/tessera/v1/token_pb";
import type { RunningAdmin } from "@tessera/token-admin/start-token-admin";
import { storeCounts } from "./support/admin-deps.js";
import { adminClient, type AdminClient } from "./support/clients.js";
import { deploymentEnv, startAdmin } from "./support/in-process.js";
import { createPostgresDatabase, type TestDatabase } from "./support/test-database.js";
import { uniqueRedisPrefix } from "./support/test-redis.js";

/** Expects INVALID_ARGUMENT whose message starts with the field's name. */
async function expectInvalid(call: Promise<unknown>, field: string) {
  const err = await call.then(() => undefined, (e: unknown) => e);
  expect(err, `expected ${field} to be refused`).toBeInstanceOf(ConnectError);
  expect((err as ConnectError).code).toBe(Code.InvalidArgument);
  expect((err as ConnectError).rawMessage.startsWith(`${field}:`), (err as ConnectError).rawMessage).toBe(true);
}

/**
 * Out-of-range page tokens and timestamps: INVALID_ARGUMENT naming the field. Before, Postgres
 * accepted some and PGlite failed on all of them with INTERNAL, so this runs on both.
 */
async function expectOutOfRangeRefused(client: AdminClient) {
  const uuid = "00000000-0000-4000-8000-000000000000";
  const pageToken = (at: string) => Buffer.from(`${at}|${uuid}`, "utf8").toString("base64url");
  const outOfRange = ["+010000-01-01T00:00:00.000Z", "+275760-09-13T00:00:00.000Z", "-001000-01-01T00:00:00.000Z", "0000-01-01T00:00:00.000Z"];
  for (const at of outOfRange) {
    await expectInvalid(client.listTokens({ pageToken: pageToken(at) }), "page_token");
    await expectInvalid(client.listPrincipals({ pageToken: pageToken(at) }), "page_token");
    await expectInvalid(client.listGroups({ pageToken: pageToken(at) }), "page_token");
    await expectInvalid(client.listOrganisations({ pageToken: pageToken(at) }), "page_token");
  }
  await expectInvalid(client.listAuditEvents({ pageToken: Buffer.from("audit|99999999999999999999").toString("base64url") }), "page_token");
  // Binary timestamps carry any int64 of seconds; google.protobuf.Timestamp allows years 1 to 9999 only.
  const timestamps = [
    { seconds: 253_402_300_800n, nanos: 0 }, // 10000-01-01
    { seconds: -62_135_596_801n, nanos: 0 }, // the last second of 1 BC
    { seconds: 10n ** 15n, nanos: 0 },
    { seconds: -(10n ** 15n), nanos: 0 },
    { seconds: 1_700_000_000n, nanos: -1 },
    { seconds: 1_700_000_000n, nanos: 1_000_000_000 },
  ];
  for (const at of timestamps) {
    await expectInvalid(client.listTokens({ expiresBefore: at }), "expires_before");
    await expectInvalid(client.listAuditEvents({ startTime: at }), "start_time");
    await expectInvalid(client.listAuditEvents({ endTime: at }), "end_time");
    await expectInvalid(client.createToken({ name: "far", scopes: [], expiry: { kind: { case: "at", value: at } } }), "expiry.at");
  }
  // The edges of the range are still accepted.
  await client.listTokens({ expiresBefore: { seconds: 253_402_300_799n, nanos: 999_999_999 } });
  await client.listAuditEvents({ startTime: { seconds: -62_135_596_800n, nanos: 0 } });
}

describe("bad input to the admin API", () => {
  let database: TestDatabase;
  let admin: RunningAdmin;
  let client: AdminClient;

  beforeAll(async () => {
    database = await createPostgresDatabase();
    admin = await startAdmin(deploymentEnv(database, uniqueRedisPrefix()));
    client = adminClient(admin.port, admin.bootstrapped!.adminToken);
  });
  afterAll(async () => {
    await admin?.close();
    await database?.drop();
  });

  it("refuses each bad field by name and changes nothing: no row, no audit, no feed entry", async () => {
    const before = await storeCounts(database.handle.db);
    const valid = { name: "ok", scopes: ["orders:read"] };
    const past = { seconds: BigInt(Math.floor(Date.now() / 1000) - 60), nanos: 0 };
    await expectInvalid(client.createToken({ ...valid, name: "" }), "name");
    await expectInvalid(client.createToken({ ...valid, name: "   " }), "name");
    await expectInvalid(client.createToken({ ...valid, name: "x".repeat(101) }), "name");
    await expectInvalid(client.createToken({ ...valid, name: "line\nbreak" }), "name");
    await expectInvalid(client.createToken({ ...valid, scopes: ["Orders Read"] }), "scopes[0]");
    await expectInvalid(client.createToken({ ...valid, scopes: ["orders:read", "orders:read"] }), "scopes[1]");
    await expectInvalid(client.createToken({ ...valid, scopes: Array.from({ length: 65 }, (_, i) => `s${i}:read`) }), "scopes");
    await expectInvalid(client.createToken({ ...valid, scopes: ["a".repeat(101)] }), "scopes[0]");
    await expectInvalid(client.createToken({ ...valid, ownerId: "not-a-uuid" }), "owner_id");
    await expectInvalid(client.createToken({ ...valid, expiry: { kind: { case: "at", value: past } } }), "expiry.at");
    await expectInvalid(client.createToken({ ...valid, expiry: { kind: { case: "after", value: { amount: 0, unit: 1 } } } }), "expiry.after.amount");
    await expectInvalid(client.createToken({ ...valid, expiry: { kind: { case: "after", value: { amount: 5, unit: 0 } } } }), "expiry.after.unit");
    await expectInvalid(client.createToken({ ...valid, expiry: { kind: { case: "after", value: { amount: 100_000, unit: 3 } } } }), "expiry.after.amount");
    await expectInvalid(client.createToken({ ...valid, expiry: { kind: { case: "endOfDate", value: "2020-13-45" } } }), "expiry.end_of_date");
    await expectInvalid(client.createToken({ ...valid, expiry: { kind: { case: "endOfDate", value: "2000-01-01" } } }), "expiry.end_of_date");
    await expectInvalid(client.getToken({ tokenId: "'; drop table token; --" }), "token_id");
    await expectInvalid(client.revokeToken({ tokenId: "" }), "token_id");
    await expectInvalid(client.listTokens({ pageSize: 501 }), "page_size");
    await expectInvalid(client.listTokens({ pageToken: "garbage" }), "page_token");
    await expectInvalid(client.listTokens({ level: 42 as TokenLevel }), "level");
    await expectInvalid(client.listTokens({ nameContains: "x".repeat(101) }), "name_contains");
    expect(await storeCounts(database.handle.db)).toEqual(before);
  });

  it("refuses bad lifecycle and identity requests by field name, changing nothing", async () => {
    const orgId = (await client.getCaller({})).principal!.organisationId;
    const tokenId = (await client.createToken({ name: "target", scopes: [] })).token!.id;
    const groupId = (await client.createGroup({ name: "bad-input-group" })).group!.id;
    const before = await storeCounts(database.handle.db);
  const uuid = "00000000-0000-4000-8000-000000000000";
    const d = (seconds: number, nanos = 0) => ({ seconds: BigInt(seconds), nanos });
    // Tokens
    await expectInvalid(client.createToken({ name: "g", scopes: [], level: 2 }), "group_id");
    await expectInvalid(client.createToken({ name: "g", scopes: [], level: 42 as TokenLevel }), "level");
    await expectInvalid(client.createToken({ name: "o", scopes: [], level: 3, ownerId: uuid }), "owner_id");
    await expectInvalid(client.createToken({ name: "u", scopes: [], groupId }), "group_id");
    await expectInvalid(client.deleteTokens({ tokenIds: [] }), "token_ids");
    await expectInvalid(client.deleteTokens({ tokenIds: Array.from({ length: 101 }, () => uuid) }), "token_ids");
    await expectInvalid(client.deleteTokens({ tokenIds: [tokenId, tokenId] }), "token_ids[1]");
    await expectInvalid(client.deleteTokens({ tokenIds: ["nope"] }), "token_ids[0]");
    await expectInvalid(client.disableToken({ tokenId, awaitValidators: d(31) }), "await_validators");
    await expectInvalid(client.revokeToken({ tokenId, awaitValidators: d(-1) }), "await_validators");
    await expectInvalid(client.regenerateToken({ tokenId, gracePeriod: d(-5) }), "grace_period");
    await expectInvalid(client.regenerateToken({ tokenId, gracePeriod: d(1, 500) }), "grace_period");
    await expectInvalid(client.regenerateToken({ tokenId, gracePeriod: d(30 * 86_400) }), "grace_period");
    await expectInvalid(client.exchangeToken({ ttl: d(0) }), "ttl");
    await expectInvalid(client.exchangeToken({ ttl: d(7200) }), "ttl");
    await expectInvalid(client.listTokens({ kind: 9 as TokenKind }), "kind");
    // Organisations
    await expectInvalid(client.createOrganisation({ name: "" }), "name");
    await expectInvalid(client.createOrganisation({ name: "o", settings: { timeZone: "Mars/Olympus_Mons" } }), "settings.time_zone");
    await expectInvalid(client.createOrganisation({ name: "o", settings: { scopeCatalog: { scopes: ["Not A Scope"] } } }), "settings.scope_catalog[0]");
    await expectInvalid(client.createOrganisation({ name: "o", settings: { scopeCatalog: { scopes: ["a:b", "a:b"] } } }), "settings.scope_catalog[1]");
    await expectInvalid(client.createOrganisation({ name: "o", settings: { maxLifetime: d(1) } }), "settings.max_lifetime");
    await expectInvalid(client.createOrganisation({ name: "o", settings: { allowNoExpiry: false } }), "settings.default_expiry");
    await expectInvalid(client.createOrganisation({ name: "o", settings: { maxExchangeTtl: d(2 * 86_400) } }), "settings.max_exchange_ttl");
    await expectInvalid(client.createOrganisation({ name: "o", settings: { defaultExpiry: { kind: { case: "none", value: false } } } }), "settings.default_expiry.none");
    await expectInvalid(client.updateOrganisation({ organisationId: "x", settings: {} }), "organisation_id");
    await expectInvalid(client.updateOrganisation({ organisationId: orgId, name: "" }), "name");
    // Groups
    await expectInvalid(client.createGroup({ name: "" }), "name");
    await expectInvalid(client.createGroup({ name: "g".repeat(101) }), "name");
    await expectInvalid(client.updateGroup({ groupId: "x", name: "n" }), "group_id");
    // Principals
    const person = { name: "valid.name", kind: 1 };
    await expectInvalid(client.createPrincipal({ ...person, name: "bad name!" }), "name");
    await expectInvalid(client.createPrincipal({ ...person, kind: 0 }), "kind");
    await expectInvalid(client.createPrincipal({ ...person, role: 99 as Role }), "role");
    await expectInvalid(client.createPrincipal({ ...person, password: "short" }), "password");
    await expectInvalid(client.createPrincipal({ ...person, password: "p".repeat(257) }), "password");
    await expectInvalid(client.createPrincipal({ ...person, permissions: ["NOPE"] }), "permissions[0]");
    await expectInvalid(client.createPrincipal({ ...person, kind: 2, password: "long enough password" }), "password");
    await expectInvalid(client.createPrincipal({ ...person, role: 3 }), "group_id");
    await expectInvalid(client.updatePrincipal({ principalId: "x" }), "principal_id");
    await expectInvalid(client.updatePrincipal({ principalId: uuid, password: "short" }), "password");
    await expectInvalid(client.listPrincipals({ kind: 9 as PrincipalKind }), "kind");
    // Sign-in and audit
    await expectInvalid(client.signIn({ organisation: "", userName: "a", password: "b" }), "organisation");
    await expectInvalid(client.signIn({ organisation: "o", userName: "a", password: "p".repeat(300) }), "password");
    await expectInvalid(client.listAuditEvents({ pageToken: "garbage" }), "page_token");
    await expectInvalid(client.listAuditEvents({ actorId: "me" }), "actor_id");
    expect(await storeCounts(database.handle.db)).toEqual(before);
  });

  it("refuses names holding bidi overrides, isolates, zero-width or other invisible characters, by field and code point", async () => {
    const before = await storeCounts(database.handle.db);
    const hidden = [
      ["\u202e", "U+202E"], // right-to-left override: "txt.exe" shown as "exe.txt"
      ["\u2066", "U+2066"], // left-to-right isolate
      ["\u200f", "U+200F"], // right-to-left mark
      ["\u200b", "U+200B"], // zero-width space: "admin" and "ad\u200bmin" look alike
      ["\u200d", "U+200D"], // zero-width joiner
      ["\ufeff", "U+FEFF"], // byte order mark
      ["\u00ad", "U+00AD"], // soft hyphen
      ["\u3164", "U+3164"], // Hangul filler, a blank that is not a space
    ];
    for (const [character, codePoint] of hidden) {
      const name = `pay${character}roll`;
      const expectHidden = async (call: Promise<unknown>, field: string) => {
        await expectInvalid(call, field);
        const err = (await call.catch((e: unknown) => e)) as ConnectError;
        expect(err.rawMessage).toContain(codePoint);
      };
      await expectHidden(client.createToken({ name, scopes: [] }), "name");
      await expectHidden(client.createOrganisation({ name }), "name");
      await expectHidden(client.createGroup({ name }), "name");
      await expectHidden(client.createPrincipal({ name, kind: 1 }), "name");
      await expectHidden(client.signIn({ organisation: name, userName: "a", password: "long enough password" }), "organisation");
    }
    // Ordinary letters from other scripts stay welcome.
    const accented = await client.createGroup({ name: "Équipe Zürich 東京" });
    expect(accented.group!.name).toBe("Équipe Zürich 東京");
    expect(await storeCounts(database.handle.db)).toEqual({ ...before, audits: before.audits + 1 });
  });

  it("refuses unknown fields in Connect JSON, naming the field, and creates nothing", async () => {
    const before = await storeCounts(database.handle.db);
    const post = (method: string, body: string) =>
      fetch(`http://127.0.0.1:${admin.port}/tessera.v1.TokenAdminService/${method}`, {
        method: "POST",
        headers: { "content-type": "application/json", authorization: `Bearer ${admin.bootstrapped!.adminToken}` },
        body,
      });
    // "scope" for "scopes": silently ignored, it made a token with no scopes.
    const misspelt = await post("CreateToken", JSON.stringify({ name: "typo", scope: ["orders:read"] }));
    expect(misspelt.status).toBe(400);
    const error = (await misspelt.json()) as { code: string; message: string };
    expect(error.code).toBe("invalid_argument");
    expect(error.message).toContain('"scope"');
    const nested = await post("CreateToken", JSON.stringify({ name: "typo", expiry: { after: { amount: 1, unit: "EXPIRY_UNIT_DAYS", units: 3 } } }));
    expect(nested.status).toBe(400);
    expect(((await nested.json()) as { message: string }).message).toContain('"units"');
    // Known fields, in either spelling protobuf JSON allows, still work.
    const made = await post("CreateToken", JSON.stringify({ name: "spelt right", scopes: [], expiry: { after: { amount: 1, unit: "EXPIRY_UNIT_DAYS" } } }));
    expect(made.status).toBe(200);
    expect(await storeCounts(database.handle.db)).toMatchObject({ tokens: before.tokens + 1 });
  });

  it("refuses an oversized request body before parsing it", async () => {
    const err = await client.createToken({ name: "big", scopes: ["x".repeat(2 * 1024 * 1024)] }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ConnectError);
    expect([Code.ResourceExhausted, Code.InvalidArgument]).toContain((err as ConnectError).code);
  });

  it("names no token, digest or secret in an error", async () => {
    const value = "tsr_pat_AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA";
    const err = (await adminClient(admin.port, value).listTokens({}).catch((e: unknown) => e)) as ConnectError;
    expect(err.code).toBe(Code.Unauthenticated);
    expect(err.rawMessage).not.toContain(value);
    expect(err.rawMessage).not.toContain("AAAA");
  });

  it("says NOT_FOUND for a token that does not exist", async () => {
    await expect(client.getToken({ tokenId: "00000000-0000-4000-8000-000000000000" })).rejects.toMatchObject({ code: Code.NotFound });
  });
});

describe.each([
  ["postgres", async () => {
    const database = await createPostgresDatabase();
    const admin = await startAdmin(deploymentEnv(database, uniqueRedisPrefix()));
    return { admin, drop: () => database.drop() };
  }],
  ["pglite", async () => {
    const dir = mkdtempSync(join(tmpdir(), "tessera-bad-input-"));
    const admin = await startAdmin({ TESSERA_DATA_DIR: dir, TESSERA_LOG_LEVEL: "silent" });
    return { admin, drop: async () => rmSync(dir, { recursive: true, force: true }) };
  }],
] as const)("out-of-range positions and times on %s", (_engine, start) => {
  let running: { admin: RunningAdmin; drop(): Promise<void> };
  beforeAll(async () => {
    running = await start();
  });
  afterAll(async () => {
    await running?.admin.close();
    await running?.drop();
  });

  it("refuses out-of-range page tokens and timestamps with INVALID_ARGUMENT naming the field, never INTERNAL", async () => {
    await expectOutOfRangeRefused(adminClient(running.admin.port, running.admin.bootstrapped!.adminToken));
  });
});
