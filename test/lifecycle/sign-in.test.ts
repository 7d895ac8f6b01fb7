import { Code, ConnectError } from "@connectrpc/connect";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { PrincipalKind, Role } from "@tessera/shared/gen/tessera/v1/identity_pb";
import { ValidationCode } from "@tessera/shared/gen/tessera/v1/validator_pb";
import { adminClientFrom, eventually } from "../support/clients.js";
import { startDeployment, type Deployment } from "../support/deployment.js";

describe("SignIn", () => {
  let d: Deployment;
  let aliceId: string;
  const password = "purple monkey dishwasher";

  beforeAll(async () => {
    // Three free failures per principal, then delays of 1.5, 3, 6, 6… s (each from the attempt's start, so it
    // outlasts a password check on a loaded machine); thirty attempts per source; within a minute.
    d = await startDeployment({ TESSERA_SIGN_IN_MAX_FAILURES: "3", TESSERA_SIGN_IN_DELAY_MS: "1500", TESSERA_SIGN_IN_MAX_DELAY_MS: "6000", TESSERA_SIGN_IN_WINDOW_MS: "60000" });
    const orgId = (await d.adminApi.createOrganisation({ name: "signin-org" })).organisation!.id;
    aliceId = (await d.adminApi.createPrincipal({ organisationId: orgId, name: "alice", kind: PrincipalKind.HUMAN, role: Role.MEMBER, permissions: ["docs:read"], password })).principal!.id;
    await d.adminApi.createPrincipal({ organisationId: orgId, name: "bob", kind: PrincipalKind.HUMAN, password });
    await d.adminApi.createPrincipal({ organisationId: orgId, name: "carol", kind: PrincipalKind.HUMAN, password });
    await d.adminApi.createPrincipal({ organisationId: orgId, name: "dave", kind: PrincipalKind.HUMAN, password });
    for (const name of ["erin", "frank", "grace"]) await d.adminApi.createPrincipal({ organisationId: orgId, name, kind: PrincipalKind.HUMAN, password });
  });
  afterAll(() => d?.close());

  const signIn = (userName: string, pw: string, organisation = "signin-org") => d.as(undefined).signIn({ organisation, userName, password: pw });
  /** Signs in, waiting out "try again in N s" refusals, as a person would; fails if that takes longer than `delayMs` and a margin. */
  const signInWhenAllowed = async <T>(call: () => Promise<T>, delayMs: number): Promise<T> => {
    const started = Date.now();
    for (;;) {
      try {
        return await call();
      } catch (err) {
        if (!(err instanceof ConnectError) || err.code !== Code.ResourceExhausted || Date.now() - started > delayMs + 2000) throw err;
        // Waits as long as the answer says, as a person would: every attempt costs the source one of its allowance.
        const seconds = Number(/try again in (\d+) s/.exec(err.rawMessage)?.[1] ?? 1);
        await new Promise((resolve) => setTimeout(resolve, seconds * 1000));
      }
    }
  };
  const failure = async (call: Promise<unknown>) => {
    const err = await call.then(() => undefined, (e: unknown) => e);
    expect(err).toBeInstanceOf(ConnectError);
    return { code: (err as ConnectError).code, message: (err as ConnectError).rawMessage };
  };

  it("returns a short-lived session token that works on the admin API, and on no validator surface", async () => {
    const session = await signIn("alice", password);
    expect(session.sessionToken).toMatch(/^tsr_ses_/);
    expect(Number(session.expireTime!.seconds) * 1000 - Date.now()).toBeLessThanOrEqual(8 * 3600 * 1000);
    expect(session.principal?.id).toBe(aliceId);
    const me = await d.as(session.sessionToken).getCaller({});
    expect(me.principal?.name).toBe("alice");
    // Sessions are for the admin API and console (test/lifecycle/session-and-children.test.ts covers every surface).
    expect((await d.validation.validate(session.sessionToken)).code).toBe(ValidationCode.NOT_FOUND);
  });

  it("gives the same answer for an unknown user, an unknown organisation and a wrong password", async () => {
    const wrong = await failure(signIn("carol", "not the password at all"));
    const unknown = await failure(signIn("nobody", password));
    const noOrg = await failure(signIn("carol", password, "no-such-org"));
    expect(wrong).toEqual({ code: Code.Unauthenticated, message: "wrong organisation, user name or password" });
    expect(unknown).toEqual(wrong);
    expect(noOrg).toEqual(wrong);
  });

  it("slows a principal after its free failures, never locks it; a success clears the count", async () => {
    await failure(signIn("bob", "wrong one"));
    await failure(signIn("bob", "wrong two"));
    await signIn("bob", password); // clears bob's count
    for (const attempt of ["w1", "w2", "w3"]) expect((await failure(signIn("bob", attempt))).code).toBe(Code.Unauthenticated);
    // Now even the right password waits out the delay (1.5 s)…
    expect(await failure(signIn("bob", password))).toMatchObject({ code: Code.ResourceExhausted, message: expect.stringMatching(/^too many failed sign-ins; try again in [12] s$/) });
    expect((await signIn("alice", password)).principal?.name).toBe("alice"); // others are unaffected
    // …and gets in once it has passed.
    expect((await signInWhenAllowed(() => signIn("bob", password), 1500)).principal?.name).toBe("bob");
  });

  it("lets a blocked source add nothing to any principal: a spray from one address cannot lock an organisation out", async () => {
    // 30 wrong attempts over many names fill this address's allowance; 40 more, at real users, are
    // refused before anything is counted against those users.
    const attacker = adminClientFrom(d.admin.port, "127.0.0.2");
    await Promise.all(Array.from({ length: 30 }, (_, i) => failure(attacker.signIn({ organisation: "signin-org", userName: `spray-${i}`, password: "guess" }))));
    for (const userName of ["erin", "frank", "grace", "erin", "frank", "grace", "erin", "frank"].flatMap((name) => [name, name, name, name, name])) {
      expect((await failure(attacker.signIn({ organisation: "signin-org", userName, password: "guess" }))).code).toBe(Code.ResourceExhausted);
    }
    // The users sign in at once, from their own addresses: no failure was counted against them.
    for (const [userName, address] of [["erin", "127.0.0.3"], ["frank", "127.0.0.4"], ["grace", "127.0.0.5"]] as const) {
      expect((await adminClientFrom(d.admin.port, address).signIn({ organisation: "signin-org", userName, password })).principal?.name).toBe(userName);
    }
  });

  it("an attacker's failures only slow the owner down: the right password gets in once the delay has passed", async () => {
    const attacker = adminClientFrom(d.admin.port, "127.0.0.6");
    for (let i = 0; i < 6; i++) await failure(attacker.signIn({ organisation: "signin-org", userName: "erin", password: `guess-${i}` }));
    const owner = adminClientFrom(d.admin.port, "127.0.0.7");
    // Three counted failures and a delay of 1.5 s at most: refused attempts during it counted nothing.
    expect((await signInWhenAllowed(() => owner.signIn({ organisation: "signin-org", userName: "erin", password }), 1500)).principal?.name).toBe("erin");
  });

  it("counts an attempt before checking the password, so a burst of concurrent guesses gets no more than the limit", async () => {
    const answers = await Promise.all(Array.from({ length: 10 }, (_, i) => failure(signIn("dave", `burst-${i}`))));
    const codes = answers.map((answer) => answer.code);
    expect(codes.filter((code) => code === Code.Unauthenticated)).toHaveLength(3);
    expect(codes.filter((code) => code === Code.ResourceExhausted)).toHaveLength(7);
  });

  it("limits failed attempts per source across user names", async () => {
    // 30 failures from this address over many names, then even a real user is refused from here.
    for (let i = 0; i < 30; i++) await failure(signIn(`spray-${i}`, "guess"));
    expect((await failure(signIn("alice", password))).code).toBe(Code.ResourceExhausted);
  });

  it("records sign-ins and failures in the audit log, never the password", async () => {
    const events = (await d.adminApi.listAuditEvents({ pageSize: 500 })).events;
    expect(events.some((e) => e.action === "auth.sign_in" && e.principalId === aliceId)).toBe(true);
    expect(events.some((e) => e.action === "auth.sign_in_failed")).toBe(true);
    // "From where": the peer address (and user agent) of every call; "system" for the bootstrap.
    expect(events.every((e) => /^(127\.0\.0\.\d+|::ffff:127\.0\.0\.\d+|::1) /.test(e.source) || e.source === "system")).toBe(true);
    expect(JSON.stringify(events.map((e) => e.details))).not.toContain(password);
  });
});

describe("a session dies with its principal", () => {
  let d: Deployment;
  beforeAll(async () => {
    d = await startDeployment();
  });
  afterAll(() => d?.close());

  it("disabling the principal stops its session and its tokens at once, and it cannot sign in", async () => {
    const orgId = (await d.adminApi.createOrganisation({ name: "org" })).organisation!.id;
    const password = "long enough password";
    const dave = (await d.adminApi.createPrincipal({ organisationId: orgId, name: "dave", kind: PrincipalKind.HUMAN, permissions: ["x:read"], password })).principal!.id;
    const session = (await d.as(undefined).signIn({ organisation: "org", userName: "dave", password })).sessionToken;
    const token = (await d.as(session).createToken({ name: "daves", scopes: ["x:read"] })).tokenValue;
    await eventually(async () => (await d.validation.validate(token)).valid, 2000);
    await d.adminApi.updatePrincipal({ principalId: dave, disabled: true, awaitValidators: { seconds: 5n } });
    expect((await d.validation.validate(token)).code).toBe(ValidationCode.OWNER_DISABLED);
    await expect(d.as(session).getCaller({})).rejects.toMatchObject({ code: Code.Unauthenticated });
    await expect(d.as(undefined).signIn({ organisation: "org", userName: "dave", password })).rejects.toMatchObject({ code: Code.Unauthenticated });
  });

  it("a new password ends the sessions signed in with the old one, except the one that changed it", async () => {
    const orgId = (await d.adminApi.createOrganisation({ name: "pw-org" })).organisation!.id;
    const password = "the first password";
    const erin = (await d.adminApi.createPrincipal({ organisationId: orgId, name: "erin", kind: PrincipalKind.HUMAN, role: Role.ORG_ADMIN, password })).principal!.id;
    const signIn = async () => (await d.as(undefined).signIn({ organisation: "pw-org", userName: "erin", password })).sessionToken;
    // An org admin, so that it may change its own password through UpdatePrincipal.
    const [laptop, phone] = [await signIn(), await signIn()];
    expect((await d.as(phone).getCaller({})).principal?.id).toBe(erin);
    await d.as(laptop).updatePrincipal({ principalId: erin, password: "the second password", awaitValidators: { seconds: 5n } });
    await expect(d.as(phone).getCaller({})).rejects.toMatchObject({ code: Code.Unauthenticated });
    expect((await d.as(laptop).getCaller({})).principal?.id).toBe(erin);
    // An admin resetting it ends every session.
    await d.adminApi.updatePrincipal({ principalId: erin, password: "the third password", awaitValidators: { seconds: 5n } });
    await expect(d.as(laptop).getCaller({})).rejects.toMatchObject({ code: Code.Unauthenticated });
  });
});
