// Revocation propagation: how long after RevokeToken returns does every validator
// refuse the token? Real processes (token-admin, two token-validators), real
// Postgres and Redis on loopback. Between those revocations, others ask two no-op
// grpc-js servers instead: the machine's floor, a server that answers at once,
// asked at the same moment of the same load. Then the same with the validators'
// Redis cut, where only their poll can bring the revocation.
//
//   npm run bench:propagation      (builds, then runs this with tsx)
//
// Prints a table and writes bench/propagation-results.md. Every figure is
// measured in this run.
import { writeFileSync } from "node:fs";
import { cpus } from "node:os";
import { performance } from "node:perf_hooks";
import { ValidationCode } from "@tessera/shared/gen/tessera/v1/validator_pb";
import { adminClient, type AdminClient } from "../test/support/clients.js";
import { clusterEnv, spawnAdmin, spawnValidator, type SpawnedAdmin, type SpawnedValidator } from "../test/support/feed-cluster.js";
import { startTcpProxy, type TcpProxy } from "../test/support/tcp-proxy.js";
import { createPostgresDatabase, type TestDatabase } from "../test/support/test-database.js";
import { redisUrl, uniqueRedisPrefix } from "../test/support/test-redis.js";
import { leanValidateClient, type LeanValidateClient } from "./support/lean-validate-client.js";
import { spawnUnpinned, type PinnedServer } from "./support/spawn-pinned.js";

const revocations = 1000;
/** Deny bound the README quotes; over it is counted, for the validators and for the floor. */
const denyBoundMs = 10;
/** Revoked first and not timed: every process on the path compiles its hot code on these, as a running fleet has. */
const warmUpRevocations = 200;
const revocationsWithoutRedis = 25;
const pollIntervalMs = 1000; // the default
const pollBoundSlackMs = 100;

interface Summary {
  readonly n: number;
  readonly p50: number;
  readonly p99: number;
  readonly max: number;
}

function summarise(samples: number[]): Summary {
  const sorted = [...samples].sort((a, b) => a - b);
  const at = (q: number) => sorted[Math.min(sorted.length - 1, Math.ceil(q * sorted.length) - 1)]!;
  return { n: sorted.length, p50: at(0.5), p99: at(0.99), max: sorted.at(-1)! };
}

interface Denial {
  /** Milliseconds from RevokeToken returning to the REVOKED answer. */
  readonly ms: number;
  /** How many ValidateToken calls it took: 1 when the first ask after the return was already refused. */
  readonly asks: number;
}

/** Asks `validator` until it answers REVOKED, from `sinceMs`. */
async function timeToDeny(validator: LeanValidateClient, token: string, sinceMs: number): Promise<Denial> {
  let asks = 1;
  while ((await validator.code(token)) !== ValidationCode.REVOKED) {
    if (performance.now() - sinceMs > 10_000) throw new Error("not denied within 10 s");
    asks++;
  }
  return { ms: performance.now() - sinceMs, asks };
}

interface BenchToken {
  readonly id: string;
  readonly value: string;
}

/** `count` tokens, sixteen creations in flight at a time. */
async function createTokens(admin: AdminClient, count: number): Promise<BenchToken[]> {
  const tokens: BenchToken[] = [];
  let next = 0;
  const worker = async () => {
    for (let i = next++; i < count; i = next++) {
      const created = await admin.createToken({ name: `bench ${i}`, scopes: ["orders:read"] });
      tokens[i] = { id: created.token!.id, value: created.tokenValue };
    }
  };
  await Promise.all(Array.from({ length: 16 }, worker));
  return tokens;
}

interface Propagation {
  /** Per validator, per revocation: RevokeToken returned → REVOKED. */
  readonly toDeny: number[][];
  /** Per floor revocation: RevokeToken returned → both no-op servers answered. */
  readonly floor: number[];
  /** Revocations that some validator answered VALID at least once after RevokeToken returned. */
  readonly askedAgain: number;
  /** The RevokeToken calls themselves. */
  readonly calls: number[];
}

/**
 * Revokes each token in turn (after a random pause below `jitterMs`, so that
 * revocations land at every phase of the validators' polls); after each call
 * returns, times every validator until it refuses. With `floor`, every other
 * revocation asks the floor servers once instead (the validators still apply it).
 */
async function measure(admin: AdminClient, validators: LeanValidateClient[], tokens: BenchToken[], jitterMs = 0, floorServers: LeanValidateClient[] = []): Promise<Propagation> {
  const toDeny: number[][] = validators.map(() => []);
  const floor: number[] = [];
  const calls: number[] = [];
  let askedAgain = 0;
  for (const [i, token] of tokens.entries()) {
    if (jitterMs > 0) await new Promise((resolve) => setTimeout(resolve, Math.random() * jitterMs));
    const calledAt = performance.now();
    await admin.revokeToken({ tokenId: token.id });
    const returnedAt = performance.now();
    calls.push(returnedAt - calledAt);
    if (floorServers.length > 0 && i % 2 === 1) {
      await Promise.all(floorServers.map((server) => server.code(token.value)));
      floor.push(performance.now() - returnedAt);
      continue;
    }
    const denials = await Promise.all(validators.map((v) => timeToDeny(v, token.value, returnedAt)));
    denials.forEach(({ ms }, i) => toDeny[i]!.push(ms));
    if (denials.some(({ asks }) => asks > 1)) askedAgain++;
  }
  return { toDeny, floor, askedAgain, calls };
}

/** How long one ValidateToken to every validator at once takes: the resolution of the figures above it. */
async function measureFloor(validators: LeanValidateClient[], token: string, rounds: number): Promise<number[]> {
  const samples: number[] = [];
  for (let i = 0; i < rounds; i++) {
    const startedAt = performance.now();
    await Promise.all(validators.map((v) => v.code(token)));
    samples.push(performance.now() - startedAt);
  }
  return samples;
}

const fmt = (ms: number) => ms.toFixed(2);

async function main(): Promise<void> {
  let database: TestDatabase | undefined;
  let proxy: TcpProxy | undefined;
  let admin: SpawnedAdmin | undefined;
  let validators: SpawnedValidator[] = [];
  let asking: LeanValidateClient[] = [];
  let floorServers: PinnedServer[] = [];
  let askingFloor: LeanValidateClient[] = [];
  try {
    database = await createPostgresDatabase();
    const prefix = uniqueRedisPrefix();
    proxy = await startTcpProxy(new URL(redisUrl).host);
    const env = clusterEnv(database, prefix);
    admin = await spawnAdmin(env, true);
    // The feed-up pair reaches Redis directly, as deployed: a proxy in this
    // process would make the bench's own event loop the feed's path (it held
    // some revocations for tens of milliseconds). The Redis-cut pair goes
    // through the proxy, which is there to be cut.
    const startPair = (names: string[], redis: string) =>
      Promise.all(names.map((id) => spawnValidator({ ...env, REDIS_URL: redis, TESSERA_VALIDATOR_ID: id, TESSERA_POLL_INTERVAL_MS: String(pollIntervalMs) })));
    validators = await startPair(["v1", "v2"], redisUrl);
    const client = adminClient(admin.port, admin.token);

    floorServers = await Promise.all([0, 1].map(() => spawnUnpinned("bench/servers/noop-grpc-server.ts")));
    askingFloor = floorServers.map((server) => leanValidateClient(Number(server.ready.grpcPort)));

    process.stdout.write(`creating ${warmUpRevocations + 2 * revocations + revocationsWithoutRedis} tokens…\n`);
    const warmUp = await createTokens(client, warmUpRevocations);
    const tokens = await createTokens(client, 2 * revocations + revocationsWithoutRedis);
    const last = tokens.at(-1)!;
    const untilLoaded = async () => {
      for (const v of validators) while (!(await v.client.validate(last.value)).valid) await new Promise((r) => setTimeout(r, 10));
      asking = validators.map((v) => leanValidateClient(v.port));
    };
    await untilLoaded();

    process.stdout.write(`revoking ${warmUpRevocations} to warm up (not timed)…\n`);
    await measure(client, asking, warmUp, 0, askingFloor);
    const floor = await measureFloor(asking, last.value, 1000);

    process.stdout.write(`revoking ${2 * revocations}, feed up, every other one timed on the floor servers…\n`);
    const started = performance.now();
    const live = await measure(client, asking, tokens.slice(0, 2 * revocations), 0, askingFloor);
    const liveWallS = (performance.now() - started) / 1000;

    process.stdout.write(`revoking ${revocationsWithoutRedis} with the validators' Redis cut…\n`);
    for (const c of asking) c.close();
    await Promise.all(validators.map((v) => v.close()));
    validators = await startPair(["v3", "v4"], proxy.urlFor(redisUrl));
    await untilLoaded();
    proxy.cut();
    await new Promise((r) => setTimeout(r, 200)); // let both notice the subscription is gone
    const cut = await measure(client, asking, tokens.slice(2 * revocations), pollIntervalMs);
    proxy.restore();

    // Per revocation, the slower validator: when "every validator" refuses.
    const bothSamples = live.toDeny[0]!.map((_, j) => Math.max(...live.toDeny.map((samples) => samples[j]!)));
    const both = summarise(bothSamples);
    const rows: [string, Summary][] = [
      ["ValidateToken to both at once (the resolution)", summarise(floor)],
      ["RevokeToken call itself", summarise(live.calls)],
      ...live.toDeny.map((samples, i): [string, Summary] => [`feed up, validator ${i + 1}`, summarise(samples)]),
      ["feed up, both (the slower of the two)", both],
      ["feed up, floor: both no-op servers answered", summarise(live.floor)],
      ...cut.toDeny.map((samples, i): [string, Summary] => [`Redis cut, validator ${i + 1}`, summarise(samples)]),
    ];
    const cutMax = Math.max(...cut.toDeny.flat());
    const bound = pollIntervalMs + pollBoundSlackMs;
    const header = "| case | n | p50 ms | p99 ms | max ms |\n|---|---:|---:|---:|---:|";
    const table = [header, ...rows.map(([name, s]) => `| ${name} | ${s.n} | ${fmt(s.p50)} | ${fmt(s.p99)} | ${fmt(s.max)} |`)].join("\n");
    const floorSummary = summarise(live.floor);
    const over = (samples: number[]) => samples.filter((ms) => ms > denyBoundMs).length;
    const verdicts = [
      `- p99 with the feed up (both refusing): ${fmt(both.p99)} ms — target ≤ ${denyBoundMs} ms: ${both.p99 <= denyBoundMs ? "met" : "NOT met"}`,
      `- the floor at the same moments (two no-op grpc-js servers answering): p99 ${fmt(floorSummary.p99)} ms; validators ÷ floor, p99: ${(both.p99 / floorSummary.p99).toFixed(2)}`,
      `- over ${denyBoundMs} ms: validators ${over(bothSamples)} of ${bothSamples.length}, floor ${over(live.floor)} of ${live.floor.length}`,
      `- revocations some validator still answered VALID after RevokeToken returned (feed up): ${live.askedAgain} of ${revocations}; in the rest, both refused the first ask, so their time is that ask's round trip`,
      `- max with the validators' Redis cut: ${fmt(cutMax)} ms — bound poll_interval + ${pollBoundSlackMs} ms = ${bound} ms: ${cutMax <= bound ? "met" : "NOT met"}`,
    ].join("\n");
    const machine = `${cpus().length} × ${cpus()[0]?.model ?? "cpu"}, Node ${process.version}`;
    const report = [
      "# Revocation propagation",
      "",
      `Measured ${new Date().toISOString()} on ${machine}; Postgres and Redis on loopback; token-admin and two`,
      `token-validators as separate processes; TESSERA_POLL_INTERVAL_MS=${pollIntervalMs}. Time from RevokeToken`,
      "returning to the validator answering REVOKED, asked in a ValidateToken loop over HTTP/2 (node:http2, lighter",
      "than a grpc-js client): each figure includes up to one call's round trip, whose own spread is the first row.",
      "Every other revocation is timed on two no-op grpc-js servers (bench/servers/noop-grpc-server.ts) instead, asked the",
      "same way at the same moment, while the validators apply it: the floor, what any server answers on this machine then.",
      `Revocations are sequential; both validators are timed at once; ${warmUpRevocations} revocations before the timed ones`,
      "warm every process up and are not counted. With the feed up the validators reach Redis directly; the",
      "Redis-cut rows are a second pair reaching it through a TCP proxy the bench owns and cuts, where each",
      `revocation waits a random 0–${pollIntervalMs} ms first, so that revocations fall at every phase of the validators' polls.`,
      "",
      table,
      "",
      verdicts,
      "",
      `The feed-up run took ${liveWallS.toFixed(1)} s. Produced by \`npm run bench:propagation\` (bench/propagation.ts).`,
      "",
    ].join("\n");
    process.stdout.write(`\n${table}\n\n${verdicts}\n`);
    writeFileSync(new URL("./propagation-results.md", import.meta.url), report);
    process.stdout.write("\nwritten to bench/propagation-results.md\n");
  } finally {
    for (const client of [...asking, ...askingFloor]) client.close();
    await Promise.all([...validators.map((v) => v.close()), ...floorServers.map((server) => server.stop())]);
    await admin?.service.stop();
    await proxy?.close();
    await database?.drop();
  }
}

await main();
