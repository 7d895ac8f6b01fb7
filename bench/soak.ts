// `npx tsx bench/soak.ts` (about 2 minutes) or `npx tsx bench/soak.ts --long` (30 minutes; `--minutes N` for
// any length): token-admin and one validator, each its own process, under the churn issue 18's soak found
// state growing with — creates, revokes, deletes and exchanges every second, org-level tokens made and
// deleted, validations over gRPC and forward-auth from made-up sources and paths — sampling every process's
// heap after a full GC, the replica against the live tokens, change_log rows, Redis keys and metric series.
// Retentions are short here (seconds, not the defaults' day and week) so that the steady state arrives within
// the run; what is held then is the churn rate times the retention. Writes a section of bench/results.md.
import { fork, type ChildProcess } from "node:child_process";
import { randomBytes } from "node:crypto";
import { readFileSync, writeFileSync } from "node:fs";
import { request, Agent } from "node:http";
import { fileURLToPath } from "node:url";
import { createClient, type Interceptor } from "@connectrpc/connect";
import { createGrpcTransport } from "@connectrpc/connect-node";
import { sql } from "kysely";
import { TokenAdminService } from "@tessera/shared/gen/tessera/v1/admin_pb";
import { TokenLevel } from "@tessera/shared/gen/tessera/v1/token_pb";
import { validatorClient } from "../test/support/clients.js";
import { createPostgresDatabase } from "../test/support/test-database.js";
import { connectRedis } from "../test/support/test-redis.js";

const args = process.argv.slice(2);
const minutesArg = args.indexOf("--minutes");
/** Each length of run keeps its own section of bench/results.md: the default short one, and one longer. */
const durationMs = (minutesArg >= 0 ? Number(args[minutesArg + 1]) : args.includes("--long") ? 30 : 2) * 60_000;
const marker = durationMs === 120_000 ? "soak-short" : "soak-long";
const sampleEveryMs = Math.max(5000, Math.min(60_000, durationMs / 24));
/** Samples before this share of the run are warm-up: retentions fill, JIT settles. */
const warmUpShare = 0.5;
const root = fileURLToPath(new URL("..", import.meta.url));
const say = (text: string) => process.stdout.write(`${text}\n`);

/** Per second: as the soak in issue 18, plus org-level tokens (each with its system-made owner) made and deleted. */
const churn = { creates: 5, orgCreates: 1, revokes: 5, deletes: 4, exchanges: 2, exchangeTtlSeconds: 5 };
const validationsPerSecond = { grpc: 150, forwardAuth: 50 };
const retention = {
  TESSERA_DEAD_TOKEN_RETENTION_MS: "20000",
  TESSERA_REPLICA_SWEEP_MS: "5000",
  TESSERA_CHANGE_LOG_RETENTION_MS: "20000",
  TESSERA_CHANGE_LOG_MIN_ROWS: "100",
  TESSERA_CHANGE_LOG_PRUNE_MS: "5000",
  TESSERA_CHANGE_FOLLOWER_EXPIRY_MS: "60000",
};

interface Service {
  readonly child: ChildProcess;
  readonly ready: Record<string, unknown>;
  ask<T>(question: string): Promise<T>;
  stop(): Promise<void>;
}

interface Sample {
  heapUsed: number;
  rss: number;
  replica?: { tokens: number; retained: number; byDigest: number; principals: number; strings: number; scopeLists: number };
}

/** One service in its own process with --expose-gc; resolves once it said it is ready. */
function startService(role: "admin" | "validator", env: Record<string, string>): Promise<Service> {
  const child = fork(`${root}bench/servers/soak-service.ts`, [role], {
    cwd: root,
    env: { ...process.env, ...env },
    execArgv: ["--expose-gc", "--import", "tsx"],
    stdio: ["ignore", "inherit", "inherit", "ipc"],
  });
  return new Promise((resolve, reject) => {
    child.once("exit", (code) => reject(new Error(`${role} exited (${code}) before it was ready`)));
    child.once("message", (ready: Record<string, unknown>) => {
      resolve({
        child,
        ready,
        ask: <T>(question: string) =>
          new Promise<T>((answer) => {
            child.once("message", (reply: T) => answer(reply));
            child.send({ ask: question });
          }),
        async stop() {
          const exited = new Promise((done) => child.once("exit", done));
          child.send({ ask: "stop" });
          await Promise.race([exited, new Promise((done) => setTimeout(done, 15_000))]);
          child.kill("SIGKILL");
        },
      });
    });
  });
}

const agent = new Agent({ keepAlive: true, maxSockets: 8 });
function httpGet(port: number, path: string, headers: Record<string, string> = {}): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = request({ host: "127.0.0.1", port, path, headers, agent }, (res) => {
      let body = "";
      res.setEncoding("utf8");
      res.on("data", (chunk: string) => (body += chunk));
      res.on("end", () => resolve({ status: res.statusCode ?? 0, body }));
    });
    req.on("error", reject);
    req.end();
  });
}

/** Metric series a /metrics page exposes (sample lines). */
const seriesOf = (text: string) => text.split("\n").filter((line) => line !== "" && !line.startsWith("#")).length;

/** Least-squares slope of y over x (per unit of x). */
function slope(points: readonly [number, number][]): number {
  const n = points.length;
  if (n < 2) return 0;
  const mx = points.reduce((s, [x]) => s + x, 0) / n;
  const my = points.reduce((s, [, y]) => s + y, 0) / n;
  const num = points.reduce((s, [x, y]) => s + (x - mx) * (y - my), 0);
  const den = points.reduce((s, [x]) => s + (x - mx) ** 2, 0);
  return den === 0 ? 0 : num / den;
}

const database = await createPostgresDatabase();
const prefix = `tessera-soak-${randomBytes(4).toString("hex")}`;
const env = {
  DATABASE_URL: database.url!,
  REDIS_URL: process.env.TESSERA_BENCH_REDIS_URL ?? "redis://127.0.0.1:6379",
  TESSERA_PEPPER: randomBytes(32).toString("base64url"),
  TESSERA_REDIS_PREFIX: prefix,
  TESSERA_LOG_LEVEL: "warn",
  TESSERA_HOST: "127.0.0.1",
  TESSERA_ADMIN_PORT: "0",
  TESSERA_VALIDATOR_PORT: "0",
  TESSERA_VALIDATOR_HTTP_PORT: "0",
  TESSERA_SHUTDOWN_DELAY_MS: "0",
  ...retention,
};
const redis = connectRedis();
const admin = await startService("admin", env);
const validator = await startService("validator", { ...env, TESSERA_VALIDATOR_ID: "soak" });
const adminPort = Number(admin.ready.port);
const grpcPort = Number(validator.ready.grpcPort);
const httpPort = Number(validator.ready.httpPort);
const bearer = (token: string): Interceptor => (next) => (req) => (req.header.set("authorization", `Bearer ${token}`), next(req));
const transport = (token: string) => createGrpcTransport({ baseUrl: `http://127.0.0.1:${adminPort}`, interceptors: [bearer(token)] });
const adminApi = createClient(TokenAdminService, transport(String(admin.ready.adminToken)));
const validation = validatorClient(grpcPort);

/** Live tokens the soak made: id → value (org-level ones apart, for deletion). */
const live = new Map<string, string>();
const liveOrg = new Map<string, string>();
const revoked: string[] = [];
/** Values to validate: live, revoked, exchanged; bounded so the soak itself stays flat. */
const values: string[] = [];
const remember = (value: string) => {
  values.push(value);
  if (values.length > 2000) values.splice(0, values.length - 2000);
};
const pick = <T>(list: readonly T[]) => list[Math.floor(Math.random() * list.length)]!;
let failures = 0;
const counted = (promise: Promise<unknown>) => promise.catch(() => void failures++);

async function createOne(level: TokenLevel): Promise<void> {
  const created = await adminApi.createToken({ name: `soak-${randomBytes(4).toString("hex")}`, scopes: ["orders:read"], level });
  (level === TokenLevel.ORG ? liveOrg : live).set(created.token!.id, created.tokenValue);
  remember(created.tokenValue);
}

async function churnSecond(): Promise<void> {
  const work: Promise<unknown>[] = [];
  for (let i = 0; i < churn.creates; i++) work.push(counted(createOne(TokenLevel.USER)));
  for (let i = 0; i < churn.orgCreates; i++) work.push(counted(createOne(TokenLevel.ORG)));
  const parents = [...live.values()];
  for (let i = 0; i < churn.exchanges && parents.length > 0; i++) {
    const exchanging = createClient(TokenAdminService, transport(pick(parents)));
    work.push(counted(exchanging.exchangeToken({ ttl: { seconds: BigInt(churn.exchangeTtlSeconds) } }).then((r) => remember(r.tokenValue))));
  }
  const oldest = [...live.keys()].slice(0, churn.revokes);
  for (const id of oldest) {
    live.delete(id);
    work.push(counted(adminApi.revokeToken({ tokenId: id }).then(() => revoked.push(id))));
  }
  const deleting: string[] = [];
  for (const id of [...liveOrg.keys()].slice(0, churn.orgCreates)) (liveOrg.delete(id), deleting.push(id));
  while (deleting.length < churn.deletes && revoked.length > 0) deleting.push(revoked.shift()!);
  if (deleting.length > 0) work.push(counted(adminApi.deleteTokens({ tokenIds: deleting })));
  await Promise.all(work);
}

let validations = 0;
async function validateFor(ms: number): Promise<void> {
  const until = Date.now() + ms;
  const perTick = { grpc: validationsPerSecond.grpc / 10, forwardAuth: validationsPerSecond.forwardAuth / 10 };
  while (Date.now() < until) {
    const tick = Date.now();
    const work: Promise<unknown>[] = [];
    for (let i = 0; i < perTick.grpc && values.length > 0; i++) work.push(counted(validation.validate(pick(values), "orders:read")));
    for (let i = 0; i < perTick.forwardAuth && values.length > 0; i++) {
      const path = `/orders/${randomBytes(6).toString("hex")}`;
      const source = `10.${(Math.random() * 255) | 0}.${(Math.random() * 255) | 0}.${(Math.random() * 255) | 0}`;
      work.push(counted(httpGet(httpPort, "/auth", { authorization: `Bearer ${pick(values)}`, "x-original-uri": path, "x-original-method": "GET", "x-forwarded-for": source })));
    }
    await Promise.all(work);
    validations += work.length;
    await new Promise((resolve) => setTimeout(resolve, Math.max(0, 100 - (Date.now() - tick))));
  }
}

async function redisKeys(): Promise<number> {
  let cursor = "0";
  let count = 0;
  do {
    const [next, keys] = await redis.scan(cursor, "MATCH", `${prefix}*`, "COUNT", 1000);
    count += keys.length;
    cursor = next;
  } while (cursor !== "0");
  return count;
}

interface Row {
  atS: number;
  adminHeapMiB: number;
  validatorHeapMiB: number;
  replicaTokens: number;
  replicaRetained: number;
  replicaEntries: number;
  replicaPrincipals: number;
  replicaStrings: number;
  liveTokens: number;
  changeLogRows: number;
  redisKeys: number;
  adminSeries: number;
  validatorSeries: number;
}

async function sample(startedMs: number): Promise<Row> {
  const [a, v] = [await admin.ask<Sample>("sample"), await validator.ask<Sample>("sample")];
  const db = database.handle.db;
  const { rows: liveRows } = await sql<{ n: string }>`select count(*) as n from token where deleted_at is null and revoked_at is null and (expires_at is null or expires_at > now())`.execute(db);
  const { rows: logRows } = await sql<{ n: string }>`select count(*) as n from change_log`.execute(db);
  const adminMetrics = await httpGet(adminPort, "/metrics");
  const validatorMetrics = await httpGet(httpPort, "/metrics");
  const mib = (bytes: number) => Math.round((bytes / 1048576) * 10) / 10;
  return {
    atS: Math.round((Date.now() - startedMs) / 1000),
    adminHeapMiB: mib(a.heapUsed),
    validatorHeapMiB: mib(v.heapUsed),
    replicaTokens: v.replica!.tokens,
    replicaRetained: v.replica!.retained,
    replicaEntries: v.replica!.byDigest,
    replicaPrincipals: v.replica!.principals,
    replicaStrings: v.replica!.strings,
    liveTokens: Number(liveRows[0]!.n),
    changeLogRows: Number(logRows[0]!.n),
    redisKeys: await redisKeys(),
    adminSeries: seriesOf(adminMetrics.body),
    validatorSeries: seriesOf(validatorMetrics.body),
  };
}

say(`soak: ${durationMs / 60_000} min, a sample every ${sampleEveryMs / 1000} s…`);
for (let i = 0; i < 30; i++) await createOne(TokenLevel.USER);
const startedMs = Date.now();
const samples: Row[] = [];
let churnSeconds = 0;
const running = () => Date.now() - startedMs < durationMs;
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
// Three loops side by side: churn once a second (a slow second delays the next), validations, samples.
await Promise.all([
  (async () => {
    while (running()) {
      const tick = Date.now();
      await churnSecond();
      churnSeconds++;
      await sleep(Math.max(0, 1000 - (Date.now() - tick)));
    }
  })(),
  (async () => {
    while (running()) await validateFor(1000);
  })(),
  (async () => {
    for (let next = startedMs; running(); next += sampleEveryMs) {
      await sleep(Math.max(0, next - Date.now()));
      const row = await sample(startedMs);
      samples.push(row);
      say(JSON.stringify(row));
    }
  })(),
]);
samples.push(await sample(startedMs));
say(JSON.stringify(samples.at(-1)));

validation.close();
await validator.stop();
await admin.stop();
redis.disconnect();
await database.drop();

// Growth per hour after warm-up: the least-squares slope of each figure over the later samples.
const steady = samples.filter((row) => row.atS >= (durationMs / 1000) * warmUpShare);
const perHour = (field: keyof Row) => slope(steady.map((row) => [row.atS / 3600, row[field]]));
const last = samples.at(-1)!;
const figures: [string, keyof Row, string][] = [
  ["token-admin heap after GC", "adminHeapMiB", "MiB"],
  ["token-validator heap + array buffers after GC", "validatorHeapMiB", "MiB"],
  ["replica tokens (live + retained)", "replicaTokens", ""],
  ["replica index entries (with replaced values' aliases)", "replicaEntries", ""],
  ["replica principals", "replicaPrincipals", ""],
  ["replica owners held (owner, organisation, group)", "replicaStrings", ""],
  ["live tokens in Postgres", "liveTokens", ""],
  ["change_log rows", "changeLogRows", ""],
  ["Redis keys", "redisKeys", ""],
  ["token-admin metric series", "adminSeries", ""],
  ["token-validator metric series", "validatorSeries", ""],
];
const fmt = (n: number) => (Math.abs(n) >= 100 ? n.toFixed(0) : n.toFixed(1));
const table = [
  "| figure | first sample | last sample | growth per hour after warm-up |",
  "|---|---|---|---|",
  ...figures.map(([name, field, unit]) => `| ${name} | ${fmt(samples[0]![field])}${unit && ` ${unit}`} | ${fmt(last[field])}${unit && ` ${unit}`} | ${fmt(perHour(field))}${unit && ` ${unit}`}/h |`),
];
const section = [
  `<!-- ${marker}: written by bench/soak.ts -->`,
  `## Runs for months: a soak of ${Math.round(durationMs / 60_000)} minutes (\`npx tsx bench/soak.ts${durationMs === 120_000 ? "" : ` --minutes ${durationMs / 60_000}`}\`)`,
  "",
  `Measured ${new Date().toISOString()} (${Math.round(durationMs / 1000)} s, ${samples.length} samples, growth fitted over the last ${Math.round((1 - warmUpShare) * 100)} %), Node ${process.version}.`,
  `token-admin and one validator, each its own process; every second (as far as the calls keep up) ${churn.creates} personal and ${churn.orgCreates} org-level creates, ${churn.revokes} revokes,`,
  `${churn.deletes} deletes (the org-level token among them), ${churn.exchanges} exchanges (${churn.exchangeTtlSeconds} s tokens), and ~${validationsPerSecond.grpc} gRPC + ~${validationsPerSecond.forwardAuth} forward-auth`,
  `validations (random paths and sources): ${churnSeconds} seconds' worth of churn in ${Math.round(durationMs / 1000)} s, ${validations} validations, ${failures} failed calls.`,
  `Retentions shortened so the steady state arrives within the run: dead tokens ${Number(retention.TESSERA_DEAD_TOKEN_RETENTION_MS) / 1000} s, change_log ${Number(retention.TESSERA_CHANGE_LOG_RETENTION_MS) / 1000} s / ${retention.TESSERA_CHANGE_LOG_MIN_ROWS} rows.`,
  "",
  ...table,
  "",
  "Retained tokens and change_log rows settle at churn × retention (here ~10 dead tokens/s × 20 s in the replica; ~17 changes/s × 20 s in change_log);",
  "with the defaults (a day, a week) they settle at that rate times those periods. Heap slopes from a run of minutes are within the noise of",
  "the young generation; the counts are exact. Exchanged tokens expire constantly, so \"live tokens\" counts only the unexpired.",
  `<!-- /${marker} -->`,
].join("\n");
const resultsPath = `${root}bench/results.md`;
const results = readFileSync(resultsPath, "utf8");
const [open, close] = [`<!-- ${marker}:`, `<!-- /${marker} -->`];
const start = results.indexOf(open);
const end = results.indexOf(close);
writeFileSync(resultsPath, start >= 0 && end > start ? results.slice(0, start) + section + results.slice(end + close.length) : `${results.trimEnd()}\n\n${section}\n`);
say(table.join("\n"));
process.exit(0);
