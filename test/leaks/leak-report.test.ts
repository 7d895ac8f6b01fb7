import { EventType } from "@tessera/shared/gen/tessera/v1/events_pb";
import { generateKeyPairSync, sign } from "node:crypto";
import { request } from "node:http";
import { createClient, Code, ConnectError } from "@connectrpc/connect";
import { createGrpcTransport } from "@connectrpc/connect-node";
import { fromBinary } from "@bufbuild/protobuf";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ChangeEventSchema } from "@tessera/shared/gen/tessera/feed/v1/feed_pb";
import { LeakService } from "@tessera/shared/gen/tessera/v1/leaks_pb";
import { TokenStatus } from "@tessera/shared/gen/tessera/v1/token_pb";
import { ValidationCode } from "@tessera/shared/gen/tessera/v1/validator_pb";
import { generateToken } from "@tessera/shared/token/token-format";
import { eventually } from "../support/clients.js";
import { startDeployment, type Deployment } from "../support/deployment.js";
import { startSmtpReceiver } from "../support/smtp-receiver.js";
import { buildWorld, type World } from "../support/world.js";

// The public leak endpoint and LeakService.IdentifyToken, against a real
// token-admin and validator on Postgres and Redis.

const github = generateKeyPairSync("ec", { namedCurve: "prime256v1" });
const githubKeyId = "90a421169f0a406205f1563a953312f0be898d3c7b6c06b681aa86a874555f4a";
const strangerKey = generateKeyPairSync("ec", { namedCurve: "prime256v1" });

interface Answer {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: string;
}

/** POST /v1/leaks from `from` (any 127.0.0.0/8 address: each is its own source to the limiter). */
function post(port: number, body: string | Buffer, options: { from?: string; headers?: Record<string, string>; method?: string; path?: string } = {}): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const req = request(
      {
        host: "127.0.0.1", port, path: options.path ?? "/v1/leaks", method: options.method ?? "POST", localAddress: options.from ?? "127.0.0.1", agent: false,
        headers: { "content-type": "application/json", "content-length": String(Buffer.byteLength(body)), ...options.headers },
      },
      (res) => {
        let text = "";
        res.setEncoding("utf8");
        res.on("data", (chunk: string) => (text += chunk));
        res.on("end", () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: text }));
      },
    );
    // A server that answers 413 before reading may close while we still write.
    req.on("error", (err) => ((err as NodeJS.ErrnoException).code === "EPIPE" || (err as NodeJS.ErrnoException).code === "ECONNRESET" ? undefined : reject(err)));
    req.end(body);
  });
}

function signed(body: string, key = github.privateKey, keyId = githubKeyId): Record<string, string> {
  return { "Github-Public-Key-Identifier": keyId, "Github-Public-Key-Signature": sign("sha256", Buffer.from(body), key).toString("base64") };
}

describe("leak response", () => {
  let d: Deployment;
  let world: World;
  let addresses = 10;
  /** A fresh source address per test: the limiter counts per address. */
  const nextAddress = () => `127.0.0.${addresses++}`;

  const newToken = async (name: string) => {
    const created = await world.admin.createToken({ name, ownerId: world.redMember.id, scopes: ["orders:read"] });
    return { id: created.token!.id, value: created.tokenValue };
  };
  const statusOf = async (id: string) => (await world.admin.getToken({ tokenId: id })).token!.status;
  const leakAudits = async (tokenId: string) => (await world.admin.listAuditEvents({ tokenId, action: "token.leaked" })).events;

  let smtp: Awaited<ReturnType<typeof startSmtpReceiver>>;

  beforeAll(async () => {
    smtp = await startSmtpReceiver();
    d = await startDeployment({
      TESSERA_SMTP_URL: `smtp://127.0.0.1:${smtp.port}`,
      TESSERA_EMAIL_POLL_MS: "50",
      TESSERA_LEAK_REPORTS_PER_MINUTE: "5",
      TESSERA_GITHUB_SCANNING_KEYS: JSON.stringify({ [githubKeyId]: github.publicKey.export({ type: "spki", format: "pem" }) }),
    });
    world = await buildWorld(d.admin);
    await world.admin.updatePrincipal({ principalId: world.redMember.id, email: "red-member@example.com" });
  }, 60_000);
  afterAll(async () => {
    await d?.close();
    await smtp?.close();
  });

  it("revokes a reported token at once, answers exactly as for an unknown one, and audits the reporter and URL", async () => {
    const victim = await newToken("leaked in a gist");
    expect((await d.validation.validate(victim.value)).code).toBe(ValidationCode.VALID);
    const from = nextAddress();
    const unknownOnly = await post(d.admin.port, JSON.stringify([{ token: generateToken() }]), { from });
    const broken = victim.value.slice(0, -1) + (victim.value.endsWith("A") ? "B" : "A");
    const report = JSON.stringify([
      { token: victim.value, url: "https://gist.example/abc", source: "gist" },
      { token: generateToken() },
      { token: "not a token at all" },
      { token: broken },
    ]);
    const answer = await post(d.admin.port, report, { from });
    expect(answer.status).toBe(202);
    expect({ status: answer.status, body: answer.body }).toEqual({ status: unknownOnly.status, body: unknownOnly.body });
    delete answer.headers.date;
    delete unknownOnly.headers.date;
    expect(answer.headers).toEqual(unknownOnly.headers);

    await eventually(async () => (await d.validation.validate(victim.value)).code === ValidationCode.REVOKED, 5000);
    expect(await statusOf(victim.id)).toBe(TokenStatus.REVOKED);
    const [audit] = await leakAudits(victim.id);
    expect(audit?.source).toBe(from);
    expect(audit?.details).toMatchObject({ reason: "leaked", via: "public", reporter_address: from, url: "https://gist.example/abc", source: "gist", revoked: "true" });

    // The owner is told by email, with where it was found — never the value.
    await eventually(async () => smtp.received.some((m) => m.subject.includes('"leaked in a gist" was reported leaked and has been revoked')), 10_000, 100);
    const mail = smtp.received.find((m) => m.subject.includes('"leaked in a gist"'))!;
    expect(mail.to).toEqual(["red-member@example.com"]);
    expect(mail.text).toContain("https://gist.example/abc");
    expect(mail.raw).not.toContain(victim.value);

    // The change announces token.leaked (and token.revoked, reason "leaked") to webhook endpoints, with the revocation.
    const rows = await d.database.handle!.db.selectFrom("change_log").select("event").orderBy("seq", "desc").limit(5).execute();
    const announced = rows.flatMap((row) => fromBinary(ChangeEventSchema, row.event).announcements).filter((a) => a.token?.id === victim.id);
    expect(announced.find((a) => a.type === EventType.TOKEN_LEAKED)).toMatchObject({ details: { url: "https://gist.example/abc", reporter_address: from } });
    expect(announced.find((a) => a.type === EventType.TOKEN_REVOKED)).toMatchObject({ details: { reason: "leaked" } });
  });

  it("accepts GitHub secret scanning's signed payload, without the per-source limit", async () => {
    const victims = await Promise.all([1, 2, 3, 4, 5, 6, 7].map((i) => newToken(`in a public repo ${i}`)));
    const from = nextAddress();
    for (const victim of victims) {
      const body = JSON.stringify([{ token: victim.value, type: "tessera_personal_token", url: "https://github.com/octo/repo/blob/abc/.env", source: "content" }]);
      expect((await post(d.admin.port, body, { from, headers: signed(body) })).status).toBe(202);
    }
    await d.admin.leakReports.settled();
    for (const victim of victims) expect(await statusOf(victim.id)).toBe(TokenStatus.REVOKED);
    expect((await leakAudits(victims[0]!.id))[0]?.details).toMatchObject({ via: "github", type: "tessera_personal_token", source: "content", url: "https://github.com/octo/repo/blob/abc/.env" });
  });

  it("refuses a GitHub payload whose signature does not verify, and revokes nothing", async () => {
    const victim = await newToken("should survive");
    const body = JSON.stringify([{ token: victim.value, type: "t", url: "u" }]);
    const from = nextAddress();
    const forgeries = [
      signed(body, strangerKey.privateKey), // another key under GitHub's id
      signed(body, github.privateKey, "unknown-key-id"),
      { ...signed(body), "Github-Public-Key-Signature": "bm90IGEgc2lnbmF0dXJl" },
      signed(`${body} `), // signed over other bytes
      { "Github-Public-Key-Identifier": githubKeyId }, // no signature
    ];
    for (const headers of forgeries) expect((await post(d.admin.port, body, { from: nextAddress(), headers })).status).toBe(401);
    await d.admin.leakReports.settled();
    expect(await statusOf(victim.id)).toBe(TokenStatus.ACTIVE);
    expect(from).toBeTruthy();
  });

  it("answers bad reports with 400, 405, 413 or 415 and changes nothing", async () => {
    const victim = await newToken("bad reports name me");
    const port = d.admin.port;
    const cases: [string | Buffer, number, Record<string, string>?][] = [
      ["not json", 400],
      [JSON.stringify({ token: victim.value }), 400], // not an array
      ["[]", 400],
      [JSON.stringify([{ token: 42 }]), 400],
      [JSON.stringify([{ token: victim.value }, "x"]), 400], // one bad entry spoils the report
      [JSON.stringify([{ token: victim.value, url: "u".repeat(3000) }]), 400],
      [JSON.stringify(Array.from({ length: 1001 }, () => ({ token: victim.value }))), 413],
      [Buffer.alloc(1024 * 1024 + 1, 0x20), 413],
      [JSON.stringify([{ token: victim.value }]), 415, { "content-type": "text/plain" }],
    ];
    for (const [body, status, headers] of cases) {
      const answer = await post(port, body, { from: nextAddress(), headers });
      expect(answer.status, String(body).slice(0, 60)).toBe(status);
      expect(JSON.parse(answer.body).error).toBeTruthy();
    }
    expect((await post(port, "", { method: "GET", from: nextAddress() })).status).toBe(405);
    await d.admin.leakReports.settled();
    expect(await statusOf(victim.id)).toBe(TokenStatus.ACTIVE);
  });

  it("limits reports per source address, and only that address", async () => {
    const from = nextAddress();
    const body = JSON.stringify([{ token: generateToken() }]);
    const statuses = [];
    for (let i = 0; i < 7; i++) statuses.push((await post(d.admin.port, body, { from })).status);
    expect(statuses).toEqual([202, 202, 202, 202, 202, 429, 429]);
    const limited = await post(d.admin.port, body, { from });
    expect(Number(limited.headers["retry-after"])).toBeGreaterThan(0);
    expect((await post(d.admin.port, body, { from: nextAddress() })).status).toBe(202);
  });

  describe("IdentifyToken", () => {
    const leaks = (token: string) =>
      createClient(LeakService, createGrpcTransport({ baseUrl: `http://127.0.0.1:${d.admin.port}`, interceptors: [(next) => (req) => (req.header.set("authorization", `Bearer ${token}`), next(req))] }));
    const codeOf = (promise: Promise<unknown>) => promise.then(() => "ok", (err: unknown) => Code[ConnectError.from(err).code]);

    it("tells an administrator whose a found token is, its status and last use, without revoking it", async () => {
      const found = await newToken("found in a log file");
      expect((await d.validation.validate(found.value)).valid).toBe(true);
      await eventually(async () => (await world.admin.getToken({ tokenId: found.id })).token!.lastUsedTime !== undefined, 5000);
      for (const admin of [d.admin.bootstrapped!.adminToken, world.orgAdmin.token, world.redAdmin.token]) {
        const answer = await leaks(admin).identifyToken({ tokenValue: found.value });
        expect(answer.token?.id).toBe(found.id);
        expect(answer.token?.ownerId).toBe(world.redMember.id);
        expect(answer.ownerName).toBe("rob");
        expect(answer.token?.status).toBe(TokenStatus.ACTIVE);
        expect(answer.lastUsedTime).toBeDefined();
        expect(answer.lastUsedSource).toBe("grpc");
      }
      expect((await d.validation.validate(found.value)).valid).toBe(true);
    });

    it("is for administrators in reach: members are denied before anything is read, others see no such token", async () => {
      const found = await newToken("found again");
      expect(await codeOf(leaks(world.redMember.token).identifyToken({ tokenValue: found.value }))).toBe("PermissionDenied");
      // Denied before the value is even parsed: a malformed value gets the same answer.
      expect(await codeOf(leaks(world.redMember.token).identifyToken({ tokenValue: "garbage" }))).toBe("PermissionDenied");
      expect(await codeOf(leaks(world.globexAdmin.token).identifyToken({ tokenValue: found.value }))).toBe("NotFound");
      expect(await codeOf(leaks(world.globexAdmin.token).identifyToken({ tokenValue: generateToken() }))).toBe("NotFound");
      const admin = leaks(d.admin.bootstrapped!.adminToken);
      expect(await codeOf(admin.identifyToken({ tokenValue: "garbage" }))).toBe("InvalidArgument");
      expect(await codeOf(admin.identifyToken({ tokenValue: "x".repeat(600) }))).toBe("InvalidArgument");
      expect(await codeOf(leaks(generateToken()).identifyToken({ tokenValue: found.value }))).toBe("Unauthenticated");
    });
  });
});
