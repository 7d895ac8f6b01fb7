// `npm run bench`: every performance figure of Tessera in one run, each a ratio
// against a baseline measured in the same run (timings on shared machines are
// noisy; ratios are not). Prints a table and writes bench/results.md.
import { execFile, execFileSync } from "node:child_process";
import { promisify } from "node:util";
import { cpus, tmpdir } from "node:os";
import { join } from "node:path";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { createClient } from "@connectrpc/connect";
import { createGrpcTransport } from "@connectrpc/connect-node";
import { TokenAdminService } from "@tessera/shared/gen/tessera/v1/admin_pb";
import { adminPlaneReport, measureAdminPlane, type AdminPlaneOptions } from "./admin-plane.js";
import { measureGrpcValidate, measureUnixSocketValidate, validateTokenBody } from "./grpc-validate.js";
import { measureHostileCheck } from "./hostile-check.js";
import { checkRequestBody, measureExtAuthz, measureForwardAuth } from "./surfaces.js";
import { startBenchDeployment } from "./support/bench-deployment.js";
import { benchOrganisationId, fillDatabase } from "./support/fill-database.js";
import { benchAffinity, pinnedToServerCore, spawnPinned } from "./support/spawn-pinned.js";
import { formatSpread, interleavedRatios, spread } from "./support/stats.js";
import { adminQuery, createPostgresDatabase } from "../test/support/test-database.js";
import { startAdmin } from "../test/support/in-process.js";
import { testPepper } from "../test/support/admin-deps.js";
import { runtimeEnv } from "../test/support/dockerfile.js";
import { sql } from "kysely";

/**
 * Interleaved rounds per ratio. On this class of shared machine one round's ratio
 * swings ±15 % (the same validator against itself: 0.76–1.38), so a median of
 * five could miss by noise a figure whose true value clears its target by 5 %.
 */
const rounds = Number(process.env.TESSERA_BENCH_ROUNDS ?? 9);
const seconds = Number(process.env.TESSERA_BENCH_SECONDS ?? 2);
const snapshotTokens = Number(process.env.TESSERA_BENCH_TOKENS ?? 1_000_000);
/** Fresh validator processes that load the cached snapshot in turn. */
const cachedLoadRounds = 3;
/** Tokens spread over 10 equal organisations for the partial-replica figure. */
const partialTokens = Number(process.env.TESSERA_BENCH_PARTIAL_TOKENS ?? 200_000);
const herdTokens = Number(process.env.TESSERA_BENCH_HERD_TOKENS ?? 100_000);
const herdSize = Number(process.env.TESSERA_BENCH_HERD_SIZE ?? 20);
/**
 * A comma-separated subset of surfaces,hostile,snapshot,partial,herd,propagation,admin
 * (or forward: surfaces' forward-auth row alone): prints its rows; bench/results.md
 * is left alone, except that a run with admin rewrites the admin-plane section.
 */
const only = process.env.TESSERA_BENCH_ONLY?.split(",");
/** Parts left out of a whole run (`admin`: its section of bench/results.md is kept as the last admin run wrote it). */
const skipped = process.env.TESSERA_BENCH_SKIP?.split(",") ?? [];
const runs = (part: string) => (only === undefined || only.includes(part)) && !skipped.includes(part);

interface Row {
  readonly figure: string;
  readonly target: string;
  readonly measured: string;
  readonly met: boolean | undefined;
}
const rows: Row[] = [];
const adminStart = "<!-- admin-plane: written by a run of bench/run.ts with the admin part -->";
const adminEnd = "<!-- /admin-plane -->";
const notes: string[] = [];
const say = (text: string) => process.stdout.write(`${text}\n`);
const verdict = (met: boolean | undefined) => (met === undefined ? "reported" : met ? "met" : "**missed**");

/** `forwardOnly`: the forward-auth figure alone (TESSERA_BENCH_ONLY=forward), for work on that surface. */
async function surfaces(forwardOnly = false): Promise<void> {
  const deployment = await startBenchDeployment();
  const admin = createClient(TokenAdminService, createGrpcTransport({ baseUrl: `http://127.0.0.1:${deployment.admin.port}` }));
  const { tokenValue } = await admin.createToken({ name: "bench", scopes: ["orders:read"] }, { headers: { authorization: `Bearer ${deployment.admin.bootstrapped!.adminToken}` } });
  const routes = JSON.stringify([{ method: "GET", prefix: "/orders", scope: "orders:read" }]);
  const socketDir = mkdtempSync(join(tmpdir(), "tessera-bench-uds-"));
  const grpcSocket = join(socketDir, "grpc.sock");
  const validator = await spawnPinned("bench/servers/validator-server.ts", {
    ...deployment.env,
    TESSERA_VALIDATOR_PORT: "0",
    TESSERA_VALIDATOR_HTTP_PORT: "0",
    TESSERA_ROUTES: routes,
    TESSERA_VALIDATOR_SOCKET: grpcSocket,
  });
  const grpcBaseline = await spawnPinned("bench/servers/noop-grpc-server.ts");
  const httpBaseline = await spawnPinned("bench/servers/noop-http-server.ts");
  const forwardAuthRow = async () => {
    say("forward-auth against a bare node:http responder…");
    const forward = await measureForwardAuth(Number(validator.ready.httpPort), Number(httpBaseline.ready.httpPort), tokenValue, rounds, seconds);
    rows.push({ figure: "forward-auth HTTP throughput ÷ bare node:http 200", target: "≥ 0.8", measured: formatSpread(forward.ratio), met: forward.ratio.median >= 0.8 });
    notes.push(`forward-auth served ${forward.subjectRps.median.toFixed(0)} req/s against the bare server's ${forward.baselineRps.median.toFixed(0)} (HTTP/1.1, 32 keep-alive connections).`);
  };
  try {
    const body = validateTokenBody(tokenValue, "orders:read");
    if (forwardOnly) return await forwardAuthRow();
    say("ValidateToken against the no-op grpc-js baseline…");
    const grpc = await measureGrpcValidate(Number(validator.ready.grpcPort), Number(grpcBaseline.ready.grpcPort), body, rounds, seconds);
    rows.push({ figure: "ValidateToken throughput ÷ no-op baseline, 64 in flight, 1 core", target: "≥ 0.85", measured: formatSpread(grpc.throughputRatio), met: grpc.throughputRatio.median >= 0.85 });
    rows.push({ figure: "ValidateToken p99 ÷ baseline p99, 1 in flight", target: "≤ 1.3", measured: `${formatSpread(grpc.p99Ratio)}; p50 ${grpc.p50Us} µs, p99 ${grpc.p99Us} µs (baseline ${grpc.baselineP50Us} / ${grpc.baselineP99Us} µs)`, met: grpc.p99Ratio.median <= 1.3 });
    notes.push(`ValidateToken served ${grpc.validatorRps.median.toFixed(0)} req/s (median) against the baseline's ${grpc.baselineRps.median.toFixed(0)} on one pinned core.`);
    say("ext_authz Check against ValidateToken…");
    const check = await measureExtAuthz(Number(validator.ready.grpcPort), body, checkRequestBody(tokenValue), rounds, seconds);
    rows.push({ figure: "ext_authz Check throughput ÷ ValidateToken throughput", target: "≥ 0.8", measured: formatSpread(check.ratio), met: check.ratio.median >= 0.8 });
    await forwardAuthRow();
    say("ValidateToken over the Unix-domain socket against TCP loopback…");
    const uds = await measureUnixSocketValidate(Number(validator.ready.grpcPort), grpcSocket, body, rounds, seconds);
    rows.push({ figure: "ValidateToken throughput over a Unix-domain socket ÷ over TCP loopback, 64 in flight", target: "report", measured: formatSpread(uds.ratio), met: undefined });
    notes.push(`ValidateToken over the Unix-domain socket served ${uds.udsRps.median.toFixed(0)} req/s against ${uds.tcpRps.median.toFixed(0)} over TCP loopback (same validator, h2load -B unix:…).`);
  } finally {
    await Promise.all([validator.stop(), grpcBaseline.stop(), httpBaseline.stop()]);
    await deployment.close();
    rmSync(socketDir, { recursive: true, force: true });
  }
}

/** What a client sending Check messages of tiny fields costs the validator, and ValidateToken's latency meanwhile. */
async function hostile(): Promise<void> {
  const deployment = await startBenchDeployment();
  const admin = createClient(TokenAdminService, createGrpcTransport({ baseUrl: `http://127.0.0.1:${deployment.admin.port}` }));
  const { tokenValue } = await admin.createToken({ name: "bench", scopes: ["orders:read"] }, { headers: { authorization: `Bearer ${deployment.admin.bootstrapped!.adminToken}` } });
  const validator = await spawnPinned("bench/servers/validator-server.ts", { ...deployment.env, TESSERA_VALIDATOR_PORT: "0", TESSERA_VALIDATOR_HTTP_PORT: "0" });
  try {
    say("Check messages of tiny fields: server CPU per call, and ValidateToken p99 under a flood of them…");
    const figures = await measureHostileCheck(validator.child.pid!, Number(validator.ready.grpcPort), tokenValue, validateTokenBody(tokenValue, "orders:read"), rounds, seconds);
    for (const [shape, ratio] of Object.entries(figures.costRatios)) {
      rows.push({ figure: `Check of ${shape}: server CPU per call ÷ an ordinary Check's`, target: "≤ 20", measured: `${formatSpread(ratio, 1)}; ${figures.costMs[shape]!.toFixed(3)} ms a call`, met: ratio.median <= 20 });
    }
    rows.push({
      figure: "ValidateToken p50 (1 in flight) while one client floods 250 KiB Checks of tiny fields ÷ p50 while it floods ordinary Checks",
      target: "≤ 1.5",
      measured: `${formatSpread(figures.floodP50Ratio)}; ${figures.floodP50Us} µs against ${figures.p50Us} µs`,
      met: figures.floodP50Ratio.median <= 1.5,
    });
    notes.push(`An ordinary Check cost the validator ${(figures.costMs["ordinary Check"]! * 1000).toFixed(0)} µs of CPU per call (gRPC included).`);
  } finally {
    await validator.stop();
    await deployment.close();
  }
}

/** A child timing a validator's load, as `npm run bench` built it (bench/tsconfig.children.json): plain JS, as the image runs. */
const builtChild = (name: "herd-load" | "snapshot-load") => `bench/.work/children/${name}.js`;

/**
 * childJson without blocking this process: token-admin runs in it and must answer
 * the child. The child is started with the bench's own cores, even while this
 * process is held to one (pinnedToServerCore), whose affinity it would otherwise inherit.
 */
async function childJsonAsync(args: string[], env: NodeJS.ProcessEnv = process.env): Promise<Record<string, number>> {
  const command = [benchAffinity, process.execPath, "--max-old-space-size=4096", ...args];
  const { stdout } = await promisify(execFile)("taskset", command, { encoding: "utf8", maxBuffer: 16 * 1024 * 1024, env });
  return JSON.parse(stdout.trim().split("\n").at(-1)!);
}

function childJson(args: string[]): Record<string, number> {
  const out = execFileSync(process.execPath, ["--max-old-space-size=12288", ...args], { encoding: "utf8" });
  return JSON.parse(out.trim().split("\n").at(-1)!);
}

async function memoryAndSnapshot(): Promise<void> {
  for (const tokens of process.env.TESSERA_BENCH_10M === "1" ? [snapshotTokens, 10_000_000] : [snapshotTokens]) {
    say(`memory per token and lookups at ${tokens} tokens…`);
    const memory = childJson(["--expose-gc", "--import", "tsx", "bench/replica-memory.ts", String(tokens)]);
    const count = tokens.toLocaleString("en");
    rows.push({ figure: `memory per live token at ${count} tokens (heap + array buffers after GC)`, target: tokens >= 10_000_000 ? "≤ 107 B (1 GiB)" : "≤ 64 B", measured: `${memory.bytesPerToken} B`, met: memory.bytesPerToken! <= (tokens >= 10_000_000 ? 107 : 64) });
    rows.push({
      figure: `lookup at ${count} tokens, random keys: table ÷ a Map of digest strings`,
      target: "≤ 1",
      measured: `${(memory.tableLookupNs! / memory.mapLookupNs!).toFixed(2)} (${memory.tableLookupNs} ns ÷ ${memory.mapLookupNs} ns)`,
      met: memory.tableLookupNs! <= memory.mapLookupNs!,
    });
  }
  say(`snapshot load of ${snapshotTokens} tokens (filling Postgres first)…`);
  const database = await createPostgresDatabase();
  try {
    await fillDatabase(database.handle.db, snapshotTokens);
    const load = childJson([builtChild("snapshot-load"), database.url!]);
    // The fallback when no cached snapshot answers: Postgres packs every row, ~6 µs each on one core.
    // Issue 14's ≤ 1 s is met by the packed format written once and streamed, the cached snapshot below.
    rows.push({
      figure: `snapshot load of ${snapshotTokens.toLocaleString("en")} tokens straight from Postgres (the fallback); worst event-loop stall`,
      target: "report (≤ 1 s is the cached snapshot's, next row); stall ≤ 50 ms",
      measured: `${(load.loadMs! / 1000).toFixed(2)} s; ${load.maxStallMs} ms (p99 ${load.p99StallMs} ms)`,
      met: load.maxStallMs! <= 50 ? undefined : false,
    });
    // The same snapshot served by token-admin's cache (warmed first), as a validator with TESSERA_SNAPSHOT_URL loads it:
    // with the environment the image gives its services (glibc's huge pages), and with 4 KB pages only.
    const admin = await startAdmin({ DATABASE_URL: database.url!, TESSERA_PEPPER: testPepper, TESSERA_LOG_LEVEL: "silent", TESSERA_SNAPSHOT_INTERVAL_MS: "3600000" });
    try {
      await admin.snapshots.get();
      // This process built the snapshot (a million rows through its heap): collected now, not during the timed loads it serves.
      (globalThis as { gc?: () => void }).gc?.();
      const asImage = { ...process.env, GLIBC_TUNABLES: runtimeEnv(readFileSync("Dockerfile", "utf8")).GLIBC_TUNABLES ?? "" };
      const smallPages = { ...process.env, GLIBC_TUNABLES: "" };
      // Fresh processes in turn, the two ways alternating: the load time is each way's median, the stall the worst any saw.
      // token-admin serves from this process, held meanwhile to one core as a server in this bench is: deployed, it
      // runs elsewhere, and here its sending took the loading validator's CPU (run-queue waits of up to 12 ms inside
      // the validator's worst stalls, counted from the kernel's schedstat).
      const loads: Record<string, number>[][] = [[], []];
      await pinnedToServerCore(async () => {
        for (let round = 0; round < cachedLoadRounds; round++) {
          for (const [way, env] of [asImage, smallPages].entries()) {
            loads[way]!.push(await childJsonAsync([builtChild("herd-load"), "cached", "1", database.url!, `http://127.0.0.1:${admin.port}`, testPepper], env));
          }
        }
      });
      for (const [way, runs] of loads.entries()) {
        const loadSeconds = spread(runs.map((load) => load.wallMs! / 1000));
        const worstStallMs = Math.max(...runs.map((load) => load.maxStallMs!));
        const kept = way === 0; // the figure kept is the image's; 4 KB pages are reported
        rows.push({
          figure: `snapshot load of ${snapshotTokens.toLocaleString("en")} tokens from token-admin's cached snapshot (${cachedLoadRounds} processes), ${kept ? `as the image runs it (GLIBC_TUNABLES=${asImage.GLIBC_TUNABLES})` : "4 KB pages only"}; worst event-loop stall`,
          target: kept ? "≤ 1 s; ≤ 20 ms" : "report",
          measured: `${formatSpread(loadSeconds)} s; ${worstStallMs} ms`,
          met: kept ? loadSeconds.median <= 1 && worstStallMs <= 20 : undefined,
        });
      }
    } finally {
      await admin.close();
    }
  } finally {
    await database.drop();
  }
}

/**
 * A partial replica serving 1 of 10 equal organisations against a full one,
 * on the same database: heap held and snapshot load time, as ratios per round
 * (each load in a fresh process, full and partial alternating).
 */
async function partialReplica(): Promise<void> {
  const organisations = 10;
  say(`partial replica (1 of ${organisations} organisations) against a full one, ${partialTokens} tokens (filling Postgres first)…`);
  const database = await createPostgresDatabase();
  try {
    await fillDatabase(database.handle.db, partialTokens, 10_000, organisations);
    const load = (served?: string) => childJson(["--expose-gc", "--import", "tsx", "bench/partial-replica.ts", database.url!, ...(served ? [served] : [])]);
    const loads: { full: Record<string, number>[]; partial: Record<string, number>[] } = { full: [], partial: [] };
    const loadTimes = await interleavedRatios(
      rounds,
      async () => (loads.full.push(load()), loads.full.at(-1)!.loadMs!),
      async () => (loads.partial.push(load(benchOrganisationId(0))), loads.partial.at(-1)!.loadMs!),
    );
    // The warm-up pair is left out of the heap figures as of the times.
    const [full, partial] = [loads.full.slice(1), loads.partial.slice(1)];
    const heapRatios = spread(partial.map((p, i) => p.heapBytes! / full[i]!.heapBytes!));
    const tokens = `${partial[0]!.tokens!.toLocaleString("en")} of ${full[0]!.tokens!.toLocaleString("en")} tokens`;
    rows.push({ figure: `partial replica (1 of ${organisations} equal organisations, ${tokens}): heap held ÷ a full replica's`, target: "report (≈ 0.1 ideal)", measured: formatSpread(heapRatios), met: undefined });
    rows.push({ figure: `partial replica (1 of ${organisations}): snapshot load time ÷ a full replica's`, target: "report (≈ 0.1 ideal)", measured: formatSpread(spread(loadTimes.ratios)), met: undefined });
    notes.push(
      `Partial replica: ${spread(partial.map((p) => p.heapBytes! / 1e6)).median.toFixed(1)} MB and ${spread(loadTimes.subject).median} ms against ${spread(full.map((f) => f.heapBytes! / 1e6)).median.toFixed(1)} MB and ${spread(loadTimes.baseline).median} ms for the full replica (medians; ${partial[0]!.principals} of ${full[0]!.principals} principals).`,
    );
  } finally {
    await database.drop();
  }
}

/**
 * A restart herd: N validators' snapshot loads at once, from Postgres (N reads)
 * and from token-admin's cached snapshot (the cache cleared first, so the herd
 * pays for one build), with the snapshot reads that reached Postgres counted
 * (pg_stat_user_functions, track_functions on this database only). Also one
 * validator's load from a warm cache against one from Postgres.
 */
async function herd(): Promise<void> {
  say(`restart herd: ${herdSize} loads of ${herdTokens} tokens, Postgres against token-admin's cache…`);
  const database = await createPostgresDatabase();
  const name = new URL(database.url!).pathname.slice(1);
  await adminQuery(`alter database ${name} set track_functions = 'all'`);
  const admin = await startAdmin({ DATABASE_URL: database.url!, TESSERA_PEPPER: testPepper, TESSERA_LOG_LEVEL: "silent", TESSERA_SNAPSHOT_INTERVAL_MS: "3600000" });
  const adminUrl = `http://127.0.0.1:${admin.port}`;
  const reads = async () => {
    await new Promise((resolve) => setTimeout(resolve, 2500)); // sessions report their counts when idle a second, or at exit
    const { rows } = await sql<{ calls: string }>`select coalesce(sum(calls), 0)::text as calls from pg_stat_user_functions where funcname = 'tessera_snapshot_token_pages'`.execute(database.handle.db);
    return Number(rows[0]!.calls);
  };
  const load = async (mode: "postgres" | "cached", n: number) => {
    const before = await reads();
    const figures = await childJsonAsync([builtChild("herd-load"), mode, String(n), database.url!, adminUrl, testPepper]);
    return { ...figures, reads: (await reads()) - before };
  };
  try {
    await fillDatabase(database.handle.db, herdTokens);
    const single: number[] = [];
    const herds: { postgres: Record<string, number>; cached: Record<string, number> }[] = [];
    for (let round = 0; round < Math.min(rounds, 3); round++) {
      await admin.snapshots.get(); // warm
      const warm = await childJsonAsync([builtChild("herd-load"), "cached", "1", database.url!, adminUrl, testPepper]);
      const cold = await childJsonAsync([builtChild("herd-load"), "postgres", "1", database.url!, adminUrl, testPepper]);
      single.push(warm.wallMs! / cold.wallMs!);
      const postgres = await load("postgres", herdSize);
      admin.snapshots.clear(); // the herd pays for one build
      const cached = await load("cached", herdSize);
      herds.push({ postgres, cached });
    }
    const median = (values: number[]) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)]!;
    const spread = (values: number[]) => `${median(values).toFixed(2)} (${Math.min(...values).toFixed(2)}–${Math.max(...values).toFixed(2)})`;
    const maxReads = Math.max(...herds.map((h) => h.cached.reads!));
    rows.push({ figure: `snapshot reads reaching Postgres for a herd of ${herdSize} validators (cached snapshot; from Postgres: ${herds[0]!.postgres.reads})`, target: "≤ 2", measured: `${maxReads} (worst round)`, met: maxReads <= 2 });
    const wall = herds.map((h) => h.cached.wallMs! / h.postgres.wallMs!);
    rows.push({ figure: `herd of ${herdSize} loads of ${herdTokens.toLocaleString("en")} tokens: wall time from the cache (one build included) ÷ from Postgres`, target: "report", measured: spread(wall), met: undefined });
    rows.push({ figure: `one load of ${herdTokens.toLocaleString("en")} tokens from a warm cached snapshot ÷ from Postgres`, target: "report", measured: spread(single), met: undefined });
    notes.push(`Restart herd (${herdSize} × ${herdTokens.toLocaleString("en")} tokens, one process): from Postgres ${herds.map((h) => `${h.postgres.wallMs} ms`).join(", ")}; from the cache ${herds.map((h) => `${h.cached.wallMs} ms`).join(", ")} (worst stall ${Math.max(...herds.map((h) => h.cached.maxStallMs!))} ms against ${Math.max(...herds.map((h) => h.postgres.maxStallMs!))} ms; loads retried: ${herds.map((h) => h.cached.retries).join(", ")} from the cache, ${herds.map((h) => h.postgres.retries).join(", ")} from Postgres).`);
  } finally {
    await admin.close();
    await database.drop();
  }
}

function propagation(): void {
  say("revocation propagation (bench/propagation.ts)…");
  execFileSync(process.execPath, ["--import", "tsx", "bench/propagation.ts"], { stdio: ["ignore", "ignore", "inherit"] });
  const report = readFileSync(new URL("./propagation-results.md", import.meta.url), "utf8");
  const both = /\| feed up, both[^|]*\| \d+ \| ([\d.]+) \| ([\d.]+) \| ([\d.]+) \|/.exec(report);
  const cut = [...report.matchAll(/\| Redis cut, validator \d[^|]*\| \d+ \| [\d.]+ \| [\d.]+ \| ([\d.]+) \|/g)].map((m) => Number(m[1]));
  const askedAgain = /still answered VALID after RevokeToken returned \(feed up\): (\d+) of (\d+)/.exec(report);
  const floor = /\| feed up, floor[^|]*\| \d+ \| ([\d.]+) \| ([\d.]+) \| ([\d.]+) \|/.exec(report);
  const over = /over 10 ms: validators (\d+) of (\d+), floor (\d+) of (\d+)/.exec(report);
  if (!both || !askedAgain || !floor || !over) throw new Error("propagation report not understood");
  // A no-op server asked at the same moments sets what any answer can take on this machine then:
  // where even it misses 10 ms, the validators are held to its p99 as ValidateToken is (≤ 1.3×).
  const floorRatio = Number(both[2]) / Number(floor[2]);
  rows.push({
    figure: "revoke → REVOKED on 2 validators (RevokeToken returned → both refuse)",
    target: "p99 ≤ 10 ms, or ≤ 1.3× the floor's p99 where the floor misses 10 ms",
    measured:
      `p50 ${both[1]} ms, p99 ${both[2]} ms, max ${both[3]} ms; answered VALID after the return in ${askedAgain[1]} of ${askedAgain[2]}; ` +
      `floor (no-op servers asked at the same moments) p99 ${floor[2]} ms, ratio ${floorRatio.toFixed(2)}; over 10 ms: ${over[1]} of ${over[2]}, floor ${over[3]} of ${over[4]}`,
    met: Number(both[2]) <= 10 || (Number(floor[2]) > 10 && floorRatio <= 1.3),
  });
  rows.push({ figure: "revoke → REVOKED with the validators' Redis cut (poll only)", target: "≤ poll interval + 100 ms", measured: `max ${Math.max(...cut).toFixed(0)} ms (poll interval 1000 ms)`, met: Math.max(...cut) <= 1100 });
}

const adminOptions: AdminPlaneOptions = {
  smallTokens: 10_000,
  largeTokens: Number(process.env.TESSERA_BENCH_ADMIN_TOKENS ?? 1_000_000),
  rounds: Number(process.env.TESSERA_BENCH_ADMIN_ROUNDS ?? 5),
  calls: 12,
  createSeconds: 5,
  // The last commit before issue 17 (indexes, one page-token scheme, fewer statements): CreateToken's "before".
  baselineRef: process.env.TESSERA_BENCH_BASELINE_REF ?? "2189be3",
  say,
};
const adminStartedAt = Date.now();
let adminSection: string | undefined;
async function adminPlane(): Promise<void> {
  const figures = await measureAdminPlane(adminOptions);
  const { rows: adminRows, table: queryTable } = adminPlaneReport(figures, adminOptions);
  const summary = ["| figure | target | measured (median of rounds, min–max) | |", "|---|---|---|---|", ...adminRows.map((r) => `| ${r.figure} | ${r.target} | ${r.measured} | ${verdict(r.met)} |`)].join("\n");
  say(`\n${summary}\n\n${queryTable}`);
  adminSection = adminPlaneSection(summary, queryTable);
}

const startedAt = Date.now();
if (runs("surfaces")) await surfaces();
else if (only?.includes("forward")) await surfaces(true);
if (runs("hostile")) await hostile();
// Latency before the large fills: they leave Postgres checkpointing and vacuuming for minutes.
if (runs("propagation")) propagation();
if (runs("snapshot")) await memoryAndSnapshot();
if (runs("partial")) await partialReplica();
if (runs("herd")) await herd();
if (runs("admin")) await adminPlane();

/** The admin-plane part of bench/results.md, between markers so a run of that part alone can replace it. */
function adminPlaneSection(summary: string, queryTable: string): string {
  const size = (n: number) => n.toLocaleString("en");
  return [
    adminStart,
    "## The admin plane at scale (`TESSERA_BENCH_ONLY=admin`)",
    "",
    `Measured ${new Date().toISOString()} (${Math.round((Date.now() - adminStartedAt) / 1000)} s) on ${cpus().length} × ${cpus()[0]?.model ?? "cpu"}, Node ${process.version}.`,
    `Two stores filled alike by test/support/large-fill.ts — 3 organisations (one with ~90 % of the tokens), 40 groups, 5,400 principals, owners`,
    `skewed (the heaviest holds ~6 %), tokens made over two years at a growing rate, ~33 % active, ~50 % expired, ~9 % revoked, 3 % disabled,`,
    `5 % deleted, an audit row for each creation, revocation, disabling and deletion — with ${size(adminOptions.smallTokens)} and ${size(adminOptions.largeTokens)} tokens. Each store`,
    "was filled at the first schema and then upgraded by the index migration, as an existing installation would be. token-admin runs in",
    `this process and is called over gRPC on loopback, one call at a time. ${adminOptions.rounds} rounds; in each, every query is called ${adminOptions.calls} times on the`,
    `small store, then ${adminOptions.calls} times on the large one, and GetCaller ${adminOptions.calls * 3} times on each at the start; a figure is the median over`,
    "rounds of the round's p50 or ratio, with the range. The same queries are EXPLAINed in the test suite (test/console-plans.test.ts).",
    "",
    summary,
    "",
    "CreateToken's figure is bench/create-token.ts (16 callers, 5 s, token-admin in process, Redis) run in turn against this checkout and a",
    `build of ${adminOptions.baselineRef}, the last commit before issue 17; statements are everything sent to Postgres for one call, BEGIN and COMMIT`,
    "and authentication included; DeleteTokens' are those kysely sends for the call, counted the same way (the issue measured 203 for 100 ids).",
    "",
    "What makes them flat (migration 2026-12-01-console-indexes, built concurrently): every list is newest first, and each role's",
    "scope — everything, an organisation, a group, an owner — has an index in exactly that order, as do the filters (creator; the rare",
    "statuses revoked and disabled and the group and org levels, in every scope; audit events by actor, principal, token, organisation,",
    "group and action, and time windows as ranges of (at, id)); so a page reads about its own rows at any depth. A group admin's lists",
    "reach the group through a column each token and audit row carries (its principal's group now, kept by triggers), not through a join",
    "that scanned the organisation. A member's audit view merges two ordered walks (what it did; what others did about it) instead of an",
    "OR that collected and sorted every match. Page tokens carry the id of a page's last row and the database compares its exact",
    "(microsecond) sort key, so nothing is skipped or repeated. Common filters (active, expired, session, a common word) walk the",
    "newest-first index and stop after a page.",
    "",
    "Where it is not quite flat: a substring search for a rare name goes through the trigram index, whose posting lists grow with the",
    "number of names sharing each trigram (a ratio of 1.2–1.9 across runs). And a rare filter in a small scope (a group's disabled tokens) finds",
    "fewer rows than a page in the 10 k store: the shorter answer is quicker to send, so its ratio compares a page with a few rows",
    "(the rows column); at 1 M it reads one page through its own index like the rest.",
    "",
    "### Every console query",
    "",
    queryTable,
    "",
    adminEnd,
  ].join("\n");
}

const table = ["| figure | target | measured (median of rounds, min–max) | |", "|---|---|---|---|", ...rows.map((r) => `| ${r.figure} | ${r.target} | ${r.measured} | ${verdict(r.met)} |`)].join("\n");
const machine = `${cpus().length} × ${cpus()[0]?.model ?? "cpu"}, Node ${process.version}`;
const report = [
  "# Tessera performance",
  "",
  `Measured ${new Date().toISOString()} by \`npm run bench\` (${Math.round((Date.now() - startedAt) / 1000)} s) on ${machine}.`,
  `Servers pinned to core 0, h2load to core 1 (taskset); token-admin, serving the cached snapshot from the bench's own process, held to core 0 while validators load it;`,
  `${rounds} interleaved rounds of ${seconds} s after a discarded warm-up pair;`,
  "each ratio is the median of per-round ratios, with the range over rounds. The baselines run in the same run:",
  "a no-op grpc-js server with the same protobuf-es codec returning a pre-built response (ValidateToken), ValidateToken",
  "itself (Check), a bare node:http server answering 200 (forward-auth).",
  "",
  table,
  "",
  ...notes.map((n) => `- ${n}`),
  "",
  "Revocation propagation in detail: bench/propagation-results.md.",
  "",
  "## What the profiles showed, and what was done (`tsx bench/profile.ts grpc|forward-auth`)",
  "",
  "- The token digest: `createHmac` per call cost ~3 µs with the map key's `toString`; HMAC is now two one-shot",
  "  SHA-256 calls over precomputed key pads, returning the latin1 map key directly: ~1.4 µs, byte-identical (tested).",
  "- Forward-auth (issue 14 item 4): each acceptance is remembered per value presented, with its 200's headers, keyed by",
  "  one SHA-256 under a random secret of the process (no token value held), and given again only at the same replica",
  "  and appliedSeq, before the token's, its parent's and a replaced value's expiry, and while the validator is not stale",
  "  (clock and freshness read per answer); anything else goes to decide(). That took the server's CPU per request from",
  "  ~45 to ~36 µs against the bare server's ~23 µs; what was left was node:http's own per-request machinery, which",
  "  the decision could not shrink (a bare 200 from the validator's process cost ~31 µs). So plain /auth requests are",
  "  now answered off the socket (services/token-validator/src/transport/forward-auth-wire.ts): a strict reader takes",
  "  only a whole HTTP/1.1 head for /auth with no body, one Host, keep-alive, nothing folded or bare, answers it with",
  "  the same decision code in the bytes node:http writes (tested byte for byte but the Date), and hands any other",
  "  connection, unread bytes first, to node:http, which answers it as before (every bad-input test passes through",
  "  both). Its idle and headers bounds are kept by a sweep, as node:http keeps its own. Same machine, same minutes:",
  "  0.60 → 1.09 of the bare server. Off with TLS or tracing (node:http's route, as before).",
  "- Revocation → deny: a write now answers once Redis has taken its publish (at most 50 ms): Redis queues a PUBLISH",
  "  to every subscriber before it replies, so validators hear of a revocation before its caller does. The bench's",
  "  feed-up validators reach Redis directly: through the bench's in-process TCP proxy, some publishes waited on the",
  "  bench's own event loop (15 of 2,400 answers 10-30 ms late). What is left of the p99 is the round trip itself (the",
  "  first row of bench/propagation-results.md), asked over node:http2 rather than a heavier grpc-js client. The row",
  "  counts the revocations some validator still answered VALID after RevokeToken returned: where none did, the time",
  "  measured is one ValidateToken round trip on a machine the revocation's own work keeps busy, not propagation.",
  "  Every other revocation asks two no-op grpc-js servers instead, at the same moment: the floor. On a noisy hour the",
  "  floor's own p99 passes 10 ms; the row then holds the validators to 1.3× it, as ValidateToken's p99 is held to the",
  "  no-op server's. Validators report their position at once only for a change a writer awaits (await_validators),",
  "  so an unawaited revocation no longer costs each validator a Redis transaction (its CPU per change: ~1.1 → ~0.55 ms).",
  "- ValidateToken's answer: generic `create()` + `toBinary()` cost ~4 µs, protobuf-es's BinaryWriter ~3; it is written",
  "  straight into a reused buffer (~1 µs; bytes tested against protobuf-es's). grpc-js's channelz, which counts and",
  "  timestamps every call for a service the validator does not offer, is off (~5 % of a call). ext_authz Check reads",
  "  and writes its Envoy messages directly too.",
  "- The replica (issue 14): tokens are rows of typed-array columns (16-byte digest prefix, uuid as 16 bytes, a profile",
  "  number for owner, organisation, group and scopes, two times, flags: 46 B), found through 256 open-addressing shards",
  "  of tagged 32-bit entries; owners, scope sets and profiles interned and counted (docs/replica.md). 235 → ~60 B a",
  "  token at 1 M, ~54 B at 10 M; a lookup costs less than a Map's, which must first make the digest a string.",
  "- The snapshot (issue 14): uuids travel as 16 bytes and flags as 2 in a layout defined once",
  "  (packages/shared/src/snapshot/packed-token-layout.ts); the validator writes each row straight into a slot, finding",
  "  its owner and scopes by their bytes (hashed, compared) with no string per row. Earlier: Postgres reads heap page",
  "  ranges (TID range scans) and packs each chunk into one bytea; parallel query off; chunks requested ahead; the",
  "  loader yields by the clock (records too), a few rows a step at first, steps halving after a slow one.",
  "- The cached snapshot (issue 14): token-admin rewrites the packed rows once per build into profiled rows",
  "  (packages/shared/src/snapshot/profiled-token-layout.ts): each (owner, organisation, group, scopes) listed once,",
  "  each row naming it by number and carrying 16-byte digest prefixes, ~55 B a token on the wire and in token-admin's",
  "  memory against ~126. The validator resolves each listed profile once and looks nothing up per row; it sizes its",
  "  index from the count token-admin sends, and reads the body with node:http rather than fetch. Same minutes, before",
  "  and after: 1 M tokens 2.6-3.3 s → 1.16-1.26 s, worst stall 55-60 → 16-18 ms.",
  "- The cached snapshot's load, measured phase by phase (issue 14 item 2): on these VMs a page fault costs ~15 µs,",
  "  and a third of a 1 M-token load was the kernel giving memory for the first time (~26,000 faults: the body as",
  "  node's HTTP parser copies it, the columns and the index). Now: a token frame cut across body pieces is put",
  "  together in one reused buffer; principals' records are read with protobuf's wire reader (fromBinary ~8 µs a",
  "  record); a listed profile finds its holder by its 48 id bytes; principals share permission sets; profiles are",
  "  pairs in typed arrays (the young-generation GC that grew new space, 12-17 ms, the worst stall, is gone); slices of",
  "  2 ms; reserved column chunks made three at a time, which glibc backs with huge pages where GLIBC_TUNABLES says so",
  "  (the image does): ~8,500 faults. Kept figure: as the image runs it; 4 KB pages are reported beside it.",
  "",
  "## Misses",
  "",
  "- The snapshot from Postgres: Postgres packs rows at ~6.5 µs each on one core (the validator waits on it more than",
  "  half the time). Keeping each token's packed row up to date by trigger was built and measured: Postgres's CPU",
  "  0.65×, the load no faster, the token table 1.5× (2.5× after the migration's 85 s backfill) — reverted. The",
  "  cached snapshot is the path a fleet loads from.",
  "- A fleet of one token per owner would pay a first-seen profile per token (a few µs each): seconds for 1 M.",
  ...(adminSection === undefined ? [] : ["", adminSection]),
  "",
].join("\n");
const resultsFile = new URL("./results.md", import.meta.url);
if (only === undefined && adminSection === undefined && skipped.includes("admin")) {
  // The admin part was skipped: its section stays as the last run that measured it wrote it.
  const previous = readFileSync(resultsFile, "utf8");
  const start = previous.indexOf(adminStart);
  const end = previous.indexOf(adminEnd);
  writeFileSync(resultsFile, start >= 0 && end > start ? `${report.trimEnd()}\n\n${previous.slice(start, end + adminEnd.length)}\n` : report);
  say(`\n${table}\n\nwritten to bench/results.md (the admin-plane section kept)`);
} else if (only === undefined) {
  writeFileSync(resultsFile, report);
  say(`\n${table}\n\nwritten to bench/results.md`);
} else if (adminSection !== undefined) {
  // A run of the admin part alone replaces that section and leaves the rest as it was.
  const previous = readFileSync(resultsFile, "utf8");
  const start = previous.indexOf(adminStart);
  const end = previous.indexOf(adminEnd);
  const updated = start >= 0 && end > start ? previous.slice(0, start) + adminSection + previous.slice(end + adminEnd.length) : `${previous.trimEnd()}\n\n${adminSection}\n`;
  writeFileSync(resultsFile, updated);
  say("\nthe admin-plane section of bench/results.md rewritten; the rest left as it was");
} else {
  say(`\n${table}\n\n${notes.map((n) => `- ${n}`).join("\n")}\n\na partial run: bench/results.md left as it was`);
}
