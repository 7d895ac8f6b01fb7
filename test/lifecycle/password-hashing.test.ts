import argon2 from "argon2";
import { Code, ConnectError } from "@connectrpc/connect";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { TesseraError } from "@tessera/shared/errors/tessera-error";
import { PrincipalKind, Role } from "@tessera/shared/gen/tessera/v1/identity_pb";
import { createArgon2Passwords } from "@tessera/token-admin/crypto/argon2-passwords";
import type { AdminDeps } from "@tessera/token-admin/domain/admin-deps";
import { signIn } from "@tessera/token-admin/domain/access/sign-in";
import { createPrincipal } from "@tessera/token-admin/domain/identities/create-principal";
import { updatePrincipal } from "@tessera/token-admin/domain/identities/update-principal";
import type { Caller } from "@tessera/token-admin/domain/access/caller";
import { bootstrapAdmin, testAdminDeps } from "../support/admin-deps.js";
import { adminClientFrom } from "../support/clients.js";
import { startDeployment, type Deployment } from "../support/deployment.js";
import { createPostgresDatabase, type TestDatabase } from "../support/test-database.js";

// argon2 costs ~0.1 s of a small pool (two sign-ins at once, a few dozen waiting). Whoever may not
// set a password must not reach it, setting passwords must not take sign-in's turn, and a sign-in
// turned away because the pool is full is not a failed attempt.

const password = "correct horse battery staple";
const codeOf = (err: unknown) => (err instanceof ConnectError ? err.code : err);

describe("password hashing under load, through the API", () => {
  let d: Deployment;
  let orgId: string;
  let memberToken: string;
  let targetId: string;

  beforeAll(async () => {
    d = await startDeployment();
    orgId = (await d.adminApi.createOrganisation({ name: "hashing-org" })).organisation!.id;
    const member = (await d.adminApi.createPrincipal({ organisationId: orgId, name: "mallory", kind: PrincipalKind.HUMAN, role: Role.MEMBER, permissions: ["docs:read"] })).principal!;
    memberToken = (await d.adminApi.createToken({ name: "mallory's", ownerId: member.id, scopes: ["docs:read"], admin: true })).tokenValue;
    targetId = (await d.adminApi.createPrincipal({ organisationId: orgId, name: "olga", kind: PrincipalKind.HUMAN, role: Role.ORG_ADMIN })).principal!.id;
    await d.adminApi.createPrincipal({ organisationId: orgId, name: "victor", kind: PrincipalKind.HUMAN, password });
  });
  afterAll(() => d?.close());

  const victimSignsIn = (address: string) => adminClientFrom(d.admin.port, address).signIn({ organisation: "hashing-org", userName: "victor", password });

  it("authorises UpdatePrincipal and CreatePrincipal before hashing: a member's flood is refused at once and sign-ins go on", async () => {
    const mallory = d.as(memberToken);
    const flood = [
      ...Array.from({ length: 60 }, () => mallory.updatePrincipal({ principalId: targetId, password: "a new password for olga" })),
      ...Array.from({ length: 20 }, (_, i) => mallory.createPrincipal({ organisationId: orgId, name: `sock${i}`, kind: PrincipalKind.HUMAN, password: "a password for a sock" })),
    ].map((call) => call.then(() => "done", codeOf));
    const signIns = Array.from({ length: 4 }, (_, i) => victimSignsIn(`127.0.1.${i + 1}`).then((s) => s.principal?.name, codeOf));
    const refusals = await Promise.all(flood);
    // Olga is out of a member's sight (not found); creating is beyond a member's role (permission denied).
    expect(new Set(refusals.slice(0, 60))).toEqual(new Set([Code.NotFound]));
    expect(new Set(refusals.slice(60))).toEqual(new Set([Code.PermissionDenied]));
    expect(await Promise.all(signIns)).toEqual(["victor", "victor", "victor", "victor"]);
  });

  it("gives setting passwords a bound of its own: an admin setting forty at once makes no sign-in busy", async () => {
    const ids = await Promise.all(
      Array.from({ length: 40 }, async (_, i) => (await d.adminApi.createPrincipal({ organisationId: orgId, name: `new${i}`, kind: PrincipalKind.HUMAN })).principal!.id),
    );
    const settings = ids.map((principalId) => d.adminApi.updatePrincipal({ principalId, password: "a first password" }).then(() => "set", codeOf));
    const signIns = Array.from({ length: 4 }, (_, i) => victimSignsIn(`127.0.2.${i + 1}`).then((s) => s.principal?.name, codeOf));
    expect(await Promise.all(signIns)).toEqual(["victor", "victor", "victor", "victor"]);
    const outcomes = await Promise.all(settings);
    // Past its own bound, setting is told to retry; some got through.
    expect(outcomes).toContain("set");
    expect(new Set(outcomes)).toEqual(new Set(["set", Code.ResourceExhausted]));
  });
});

describe("a sign-in turned away by a busy pool", () => {
  let database: TestDatabase;
  let deps: AdminDeps;
  let admin: Caller;

  beforeAll(async () => {
    database = await createPostgresDatabase();
    // One verification at a time and none waiting: a second sign-in at once is turned away.
    deps = { ...(await testAdminDeps(database.handle.db)), passwords: createArgon2Passwords({ signIn: { maxConcurrent: 1, maxQueued: 0 }, setting: { maxConcurrent: 1, maxQueued: 8 } }) };
    admin = (await bootstrapAdmin(deps)).caller;
    await createPrincipal(deps, admin, { organisationId: undefined, groupId: undefined, name: "frank", kind: "human", role: "member", permissions: [], password });
    // A principal whose hash costs seconds to verify (its parameters travel in the hash): it holds the only slot long enough.
    const slowpoke = await createPrincipal(deps, admin, { organisationId: undefined, groupId: undefined, name: "slowpoke", kind: "human", role: "member", permissions: [], password });
    const slowHash = await argon2.hash(password, { type: argon2.argon2id, timeCost: 60 });
    await deps.db.updateTable("principal").set({ password_hash: slowHash }).where("id", "=", slowpoke.id).execute();
  });
  afterAll(() => database?.drop());

  const attempt = (userName: string, pw: string) => signIn(deps, { organisation: "default", userName, password: pw, source: "test", peer: "192.0.2.1" });
  const outcome = (call: Promise<unknown>) => call.then(() => "signed in", (err: unknown) => (err instanceof TesseraError ? err.message : String(err)));

  it("counts as no failed attempt: ten at once leave the principal free to sign in", async () => {
    // The real pool, watched: the ten start only once the first holds the only slot, however busy the machine.
    let holding!: () => void;
    const held = new Promise<void>((resolve) => (holding = resolve));
    const real = deps.passwords;
    const watched: AdminDeps = { ...deps, passwords: { ...real, verify: (hash, pw) => { const running = real.verify(hash, pw); holding(); return running; } } };
    const occupying = outcome(signIn(watched, { organisation: "default", userName: "slowpoke", password: "holds the only slot", source: "test", peer: "192.0.2.1" }));
    await held;
    const turnedAway = await Promise.all(Array.from({ length: 10 }, () => outcome(attempt("frank", "a wrong guess"))));
    // Each was counted when it began (so that concurrent guesses cannot all pass); those that then
    // found the pool busy were given back, delay and all, and those that began inside that delay were
    // refused without counting.
    const busy = turnedAway.filter((answer) => answer === "too many sign-ins at once; retry shortly");
    expect(busy.length, turnedAway.join("; ")).toBeGreaterThan(0);
    expect(turnedAway).not.toContain("wrong organisation, user name or password");
    for (const answer of turnedAway) expect(answer).toMatch(/^too many sign-ins at once; retry shortly$|^too many failed sign-ins; try again in \d+ s$/);
    expect(await occupying).toBe("wrong organisation, user name or password");
    // Five free failures per principal in these deps: had the busy ones counted, frank would now wait.
    expect(await outcome(attempt("frank", password))).toBe("signed in");
  });

  it("and a caller out of reach never hashes: UpdatePrincipal{password} is refused while the setting pool is idle", async () => {
    const frank = (await deps.db.selectFrom("principal").select(["id", "organisation_id"]).where("name", "=", "frank").executeTakeFirstOrThrow());
    const member: Caller = { principalId: frank.id, organisationId: frank.organisation_id, groupId: undefined, role: "member", permissions: [], tokenId: frank.id, source: "test" };
    let hashes = 0;
    const counting: AdminDeps = { ...deps, passwords: { ...deps.passwords, hash: (pw) => (hashes++, deps.passwords.hash(pw)) } };
    const adminId = admin.principalId;
    await expect(updatePrincipal(counting, member, adminId, { password: "not yours to set" })).rejects.toMatchObject({ code: "not_found" });
    await expect(createPrincipal(counting, member, { organisationId: undefined, groupId: undefined, name: "sock", kind: "human", role: "member", permissions: [], password: "not yours to set" })).rejects.toMatchObject({ code: "permission_denied" });
    expect(hashes).toBe(0);
  });
});
