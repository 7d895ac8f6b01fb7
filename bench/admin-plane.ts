// The admin plane at scale (issue 17): each console query's p50 at 1 M tokens
// against the same query at 10 k and against GetCaller at 1 M, in interleaved
// rounds; DeleteTokens of 100 ids; the index migration over a million tokens
// with writes going on; CreateToken against the code before issue 17.
import { execFileSync } from "node:child_process";
import { randomBytes } from "node:crypto";
import { copyFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { consoleQueries, openConsoleWorld, type ConsoleWorld } from "../test/support/console-queries.js";
import { createPostgresDatabase } from "../test/support/test-database.js";
import { baselineCheckout } from "./support/baseline-checkout.js";
import { quantile, spread, type Spread } from "./support/stats.js";

export interface AdminPlaneOptions {
  readonly smallTokens: number;
  readonly largeTokens: number;
  readonly rounds: number;
  /** Calls per query per round; the round's figure is their p50. */
  readonly calls: number;
  readonly createSeconds: number;
  /** The code CreateToken is compared with. */
  readonly baselineRef: string;
  readonly say: (text: string) => void;
}

export interface QueryFigures {
  readonly name: string;
  readonly p50SmallMs: number;
  readonly p50LargeMs: number;
  /** p50 at 1 M ÷ p50 at 10 k, per round. */
  readonly growth: Spread;
  /** p50 at 1 M ÷ GetCaller's p50 at 1 M, per round. */
  readonly overGetCaller: Spread;
  /** Rows in the answer at each size: a page of 50 at most. */
  readonly itemsSmall: number;
  readonly itemsLarge: number;
}

/** How many rows a list answer holds (its one repeated field). */
function itemsIn(answer: unknown): number {
  const list = Object.values(answer as Record<string, unknown>).find(Array.isArray);
  return list?.length ?? 0;
}

export interface AdminPlaneFigures {
  readonly queries: readonly QueryFigures[];
  readonly getCaller: { readonly smallMs: number; readonly largeMs: number };
  readonly deletes: { readonly oneMs: number; readonly hundredMs: number; readonly statementsOne: number; readonly statementsHundred: number };
  readonly migration: { readonly seconds: number; readonly writes: number; readonly writeP50Ms: number; readonly writeMaxMs: number };
  readonly creates: { readonly ratio: Spread; readonly perSecond: number; readonly baselinePerSecond: number; readonly statements: number; readonly baselineStatements: number };
  readonly largeAudit: number;
}

/** p50 of `calls` calls made one after another, in ms. */
async function p50Of(call: () => Promise<unknown>, calls: number): Promise<number> {
  const latencies: number[] = [];
  for (let i = 0; i < calls; i++) {
    const started = performance.now();
    await call();
    latencies.push(performance.now() - started);
  }
  return quantile(latencies, 0.5);
}

const median = (values: readonly number[]) => quantile(values, 0.5);

/** Every console query at both sizes and GetCaller, round after round, the sizes alternating query by query. */
async function measureQueries(small: ConsoleWorld, large: ConsoleWorld, options: AdminPlaneOptions): Promise<{ queries: QueryFigures[]; getCaller: AdminPlaneFigures["getCaller"] }> {
  const smallQueries = consoleQueries(small.facts);
  const largeQueries = consoleQueries(large.facts);
  const getCallerSmall = () => small.clients.admin.getCaller({});
  const getCallerLarge = () => large.clients.admin.getCaller({});
  const items = await Promise.all(
    largeQueries.map(async (query, i) => ({
      small: itemsIn(await smallQueries[i]!.call(small.clients[query.role])),
      large: itemsIn(await query.call(large.clients[query.role])),
    })),
  );
  for (const [i, query] of largeQueries.entries()) {
    await p50Of(() => smallQueries[i]!.call(small.clients[query.role]), 3);
    await p50Of(() => query.call(large.clients[query.role]), 3);
  }
  const samples = largeQueries.map(() => ({ small: [] as number[], large: [] as number[], growth: [] as number[], overGetCaller: [] as number[] }));
  const getCaller = { small: [] as number[], large: [] as number[] };
  for (let round = 0; round < options.rounds; round++) {
    options.say(`  round ${round + 1} of ${options.rounds}`);
    getCaller.small.push(await p50Of(getCallerSmall, options.calls * 3));
    const baseline = await p50Of(getCallerLarge, options.calls * 3);
    getCaller.large.push(baseline);
    for (const [i, query] of largeQueries.entries()) {
      const atSmall = await p50Of(() => smallQueries[i]!.call(small.clients[query.role]), options.calls);
      const atLarge = await p50Of(() => query.call(large.clients[query.role]), options.calls);
      const s = samples[i]!;
      s.small.push(atSmall);
      s.large.push(atLarge);
      s.growth.push(atLarge / atSmall);
      s.overGetCaller.push(atLarge / baseline);
    }
  }
  return {
    queries: largeQueries.map((query, i) => {
      const s = samples[i]!;
      return {
        name: `${query.role} · ${query.name}`, p50SmallMs: median(s.small), p50LargeMs: median(s.large), growth: spread(s.growth), overGetCaller: spread(s.overGetCaller),
        itemsSmall: items[i]!.small, itemsLarge: items[i]!.large,
      };
    }),
    getCaller: { smallMs: median(getCaller.small), largeMs: median(getCaller.large) },
  };
}

/** DeleteTokens of 1 and of 100 fresh tokens at 1 M, timed, with the statements each sent. */
async function measureDeletes(world: ConsoleWorld, counted: { statements: number }, rounds: number): Promise<AdminPlaneFigures["deletes"]> {
  const admin = world.clients.admin;
  const make = async (n: number) => Promise.all(Array.from({ length: n }, async () => (await admin.createToken({ name: "to delete", scopes: [] })).token!.id));
  const one: number[] = [];
  const hundred: number[] = [];
  let statementsOne = 0;
  let statementsHundred = 0;
  for (let round = 0; round < rounds; round++) {
    const [single, many] = [await make(1), await make(100)];
    counted.statements = 0;
    let started = performance.now();
    await admin.deleteTokens({ tokenIds: single });
    one.push(performance.now() - started);
    statementsOne = counted.statements;
    counted.statements = 0;
    started = performance.now();
    await admin.deleteTokens({ tokenIds: many });
    hundred.push(performance.now() - started);
    statementsHundred = counted.statements;
  }
  return { oneMs: median(one), hundredMs: median(hundred), statementsOne, statementsHundred };
}

const root = fileURLToPath(new URL("..", import.meta.url));

/** One CreateToken measurement (bench/create-token-child.ts) of the checkout in `dir`, on fresh databases. */
async function createTokenRun(dir: string, seconds: number): Promise<{ perSecond: number; statementsPerCall: number }> {
  const [a, b] = [await createPostgresDatabase({ migrate: false }), await createPostgresDatabase({ migrate: false })];
  try {
    await Promise.all([a.handle.close(), b.handle.close()]);
    const env = {
      DATABASE_URL: a.url!, REDIS_URL: process.env.TESSERA_BENCH_REDIS_URL ?? "redis://127.0.0.1:6379", TESSERA_PEPPER: randomBytes(32).toString("base64url"),
      TESSERA_REDIS_PREFIX: `tessera-bench-${randomBytes(4).toString("hex")}`, TESSERA_LOG_LEVEL: "warn", TESSERA_HOST: "127.0.0.1",
    };
    const out = execFileSync(process.execPath, ["--import", "tsx", "bench/create-token-child.ts", JSON.stringify(env), b.url!, String(seconds)], { cwd: dir, encoding: "utf8" });
    return JSON.parse(out.trim().split("\n").at(-1)!);
  } finally {
    await Promise.allSettled([a.drop(), b.drop()]);
  }
}

/** CreateToken with 16 callers, this checkout against `baselineRef`, alternating. */
async function measureCreates(options: AdminPlaneOptions): Promise<AdminPlaneFigures["creates"]> {
  const baseline = baselineCheckout(options.baselineRef);
  copyFileSync(`${root}/bench/create-token-child.ts`, `${baseline}/bench/create-token-child.ts`);
  const ratios: number[] = [];
  const ours: number[] = [];
  const theirs: number[] = [];
  let statements = 0;
  let baselineStatements = 0;
  for (let round = 0; round < options.rounds; round++) {
    const before = await createTokenRun(baseline, options.createSeconds);
    const after = await createTokenRun(root, options.createSeconds);
    ratios.push(after.perSecond / before.perSecond);
    ours.push(after.perSecond);
    theirs.push(before.perSecond);
    statements = after.statementsPerCall;
    baselineStatements = before.statementsPerCall;
  }
  return { ratio: spread(ratios), perSecond: median(ours), baselinePerSecond: median(theirs), statements, baselineStatements };
}

/** The whole admin-plane measurement; the two stores are dropped at the end. */
export async function measureAdminPlane(options: AdminPlaneOptions): Promise<AdminPlaneFigures> {
  options.say(`admin plane: CreateToken against ${options.baselineRef} (before issue 17)…`);
  const creates = await measureCreates(options);
  options.say(`admin plane: filling ${options.smallTokens.toLocaleString("en")} tokens…`);
  const small = await openConsoleWorld(options.smallTokens);
  const counted = { statements: 0 };
  try {
    options.say(`admin plane: filling ${options.largeTokens.toLocaleString("en")} tokens, then migrating under writes…`);
    const large = await openConsoleWorld(options.largeTokens, { writeDuringMigration: true, log: () => counted.statements++ });
    try {
      options.say(`admin plane: ${consoleQueries(large.facts).length} console queries at both sizes…`);
      const { queries, getCaller } = await measureQueries(small, large, options);
      options.say("admin plane: DeleteTokens…");
      const deletes = await measureDeletes(large, counted, options.rounds);
      const writes = large.migration.writeLatenciesMs;
      const { n } = await large.database.handle.db.selectFrom("audit_log").select((eb) => eb.fn.countAll<string>().as("n")).executeTakeFirstOrThrow();
      return {
        queries, getCaller, deletes, creates, largeAudit: Number(n),
        migration: { seconds: large.migration.ms / 1000, writes: writes.length, writeP50Ms: quantile(writes, 0.5), writeMaxMs: Math.max(...writes) },
      };
    } finally {
      await large.close();
    }
  } finally {
    await small.close();
  }
}

const ms = (value: number) => `${value.toFixed(1)} ms`;
const ratio = (s: Spread) => `${s.median.toFixed(2)} (${s.min.toFixed(2)}–${s.max.toFixed(2)})`;

/** The summary rows (figure, target, measured, met) and the per-query table, as bench/results.md shows them. */
export function adminPlaneReport(f: AdminPlaneFigures, options: AdminPlaneOptions): { rows: { figure: string; target: string; measured: string; met: boolean | undefined }[]; table: string } {
  const worst = (key: "growth" | "overGetCaller") => f.queries.reduce((a, b) => (b[key].median > a[key].median ? b : a));
  const within = (key: "growth" | "overGetCaller", bound: number) => f.queries.filter((q) => q[key].median <= bound).length;
  const medianOf = (key: "growth" | "overGetCaller") => median(f.queries.map((q) => q[key].median));
  const n = f.queries.length;
  // At 10 k a rare filter in a small scope can find fewer rows than a page, and a shorter answer is quicker to send.
  const alike = f.queries.filter((q) => q.itemsSmall === q.itemsLarge);
  const worstAlike = alike.reduce((a, b) => (b.growth.median > a.growth.median ? b : a), alike[0]!);
  const size = (tokens: number) => tokens.toLocaleString("en");
  const rows = [
    {
      figure: `each console query's p50 at ${size(options.largeTokens)} tokens ÷ at ${size(options.smallTokens)} (${n} queries)`,
      target: "≤ 1.5",
      measured:
        `worst ${worst("growth").growth.median.toFixed(2)} (${worst("growth").name}); median ${medianOf("growth").toFixed(2)}; ${within("growth", 1.5)} of ${n} within; ` +
        `of the ${alike.length} whose answers hold as many rows at both sizes, worst ${worstAlike.growth.median.toFixed(2)} (${worstAlike.name})`,
      met: within("growth", 1.5) === n,
    },
    {
      figure: `each console query's p50 ÷ GetCaller's p50, at ${size(options.largeTokens)} tokens`,
      target: "≤ 3",
      measured: `worst ${worst("overGetCaller").overGetCaller.median.toFixed(2)} (${worst("overGetCaller").name}); median ${medianOf("overGetCaller").toFixed(2)}; ${within("overGetCaller", 3)} of ${n} within; GetCaller p50 ${ms(f.getCaller.largeMs)} (${ms(f.getCaller.smallMs)} at ${size(options.smallTokens)})`,
      met: within("overGetCaller", 3) === n,
    },
    {
      figure: `DeleteTokens of 100 ids at ${size(options.largeTokens)} tokens`,
      target: "statements bounded",
      measured: `${f.deletes.statementsHundred} statements, as for 1 id (${f.deletes.statementsOne}); p50 ${ms(f.deletes.hundredMs)} (1 id: ${ms(f.deletes.oneMs)})`,
      met: f.deletes.statementsHundred === f.deletes.statementsOne,
    },
    {
      figure: "CreateToken throughput, 16 callers, ÷ before issue 17",
      target: "report",
      measured: `${ratio(f.creates.ratio)}: ${f.creates.perSecond.toFixed(0)}/s against ${f.creates.baselinePerSecond.toFixed(0)}/s; ${f.creates.statements} statements a call against ${f.creates.baselineStatements}`,
      met: undefined,
    },
    {
      figure: `every migration since the first schema over ${size(options.largeTokens)} tokens and ${size(f.largeAudit)} audit rows, token writes (as the running release makes them) meanwhile`,
      target: "writes go on; slowest ≤ 1 s",
      measured: `${f.migration.seconds.toFixed(0)} s; ${f.migration.writes} tokens written meanwhile, p50 ${ms(f.migration.writeP50Ms)}, slowest ${ms(f.migration.writeMaxMs)}`,
      met: f.migration.writes > 0 && f.migration.writeMaxMs <= 1000,
    },
  ];
  const table = [
    `| query (role · call) | rows | p50 at ${size(options.smallTokens)} | p50 at ${size(options.largeTokens)} | ÷ at ${size(options.smallTokens)} | ÷ GetCaller |`,
    "|---|---|---|---|---|---|",
    ...f.queries.map((q) => `| ${q.name} | ${q.itemsSmall} / ${q.itemsLarge} | ${ms(q.p50SmallMs)} | ${ms(q.p50LargeMs)} | ${ratio(q.growth)} | ${ratio(q.overGetCaller)} |`),
  ].join("\n");
  return { rows, table };
}
