// A restart herd in one process: N replicas loaded at once, from Postgres (each
// its own snapshot read) or from token-admin's cached snapshot (with the
// fallback a validator has), timed, with the event loop's worst stall.
// Run as a child: node --import tsx bench/herd-load.ts <postgres|cached> <n> <database url> <token-admin url> <pepper>
import { monitorEventLoopDelay } from "node:perf_hooks";
import { openDatabase } from "@tessera/shared/db/database";
import { createLogger } from "@tessera/shared/log/logger";
import { createSnapshotAuth } from "@tessera/shared/snapshot/snapshot-auth";
import { Replica } from "../services/token-validator/src/domain/replica.js";
import { readCachedSnapshot } from "../services/token-validator/src/store/cached-snapshot-client.js";
import { createFeedStore } from "../services/token-validator/src/store/feed-store.js";
import { withCachedSnapshots } from "../services/token-validator/src/store/snapshot-fallback.js";

const [mode, count, databaseUrl, adminUrl, pepper] = process.argv.slice(2) as [string, string, string, string, string];
const n = Number(count);
// A pool of 2 per replica, as each validator has.
const databases = await Promise.all(Array.from({ length: n }, () => openDatabase({ url: databaseUrl, dataDir: "", poolSize: 2 })));
const auth = createSnapshotAuth(pepper);
const log = createLogger("silent", "bench");
const sources = databases.map((database) => {
  const store = createFeedStore(database.db);
  if (mode === "postgres") return store;
  return withCachedSnapshots(store, (into) => readCachedSnapshot({ url: adminUrl, auth, idleTimeoutMs: 30_000, deadTokenRetentionMs: 24 * 3600 * 1000, now: Date.now }, into), log);
});
// Connections opened before the clock starts: a validator has its pool before it loads.
await Promise.all(sources.map((source) => source.readHead()));
const delay = monitorEventLoopDelay({ resolution: 5 });
delay.enable();
import { Session } from "node:inspector/promises";
const session = new Session(); session.connect(); await session.post("HeapProfiler.enable"); await session.post("HeapProfiler.startSampling", { samplingInterval: 4096, includeObjectsCollectedByMajorGC: true, includeObjectsCollectedByMinorGC: true } as any);
const cpu0 = process.cpuUsage();
const started = performance.now();
(globalThis as any).__t0 = started;
let retries = 0;
const replicas = await Promise.all(
  sources.map(async (source) => {
    // As the follower does: a failed load is dropped and tried again (the fallback then reads Postgres).
    for (let attempt = 1; ; attempt++) {
      try {
        const replica = new Replica();
        replica.appliedSeq = await source.readSnapshot(replica);
        return replica;
      } catch (err) {
        if (attempt === 3) throw err;
        retries++;
      }
    }
  }),
);
const wallMs = performance.now() - started;
const cpu = process.cpuUsage(cpu0); console.error("cpu ms", (cpu.user + cpu.system) / 1000);
const { profile } = await session.post("HeapProfiler.stopSampling") as any;
const totals = new Map<string, number>();
const walk = (node: any, stack: string) => { const f = node.callFrame; const name = `${f.functionName || "(anon)"} ${f.url.replace(/^.*\/(services|packages|node_modules)\//, "$1/")}:${f.lineNumber + 1}`; const self = node.selfSize; if (self) totals.set(name, (totals.get(name) ?? 0) + self); for (const c of node.children) walk(c, name); };
walk(profile.head, "");
let sum = 0; for (const v of totals.values()) sum += v;
console.error("total MB", (sum / 1e6).toFixed(1));
for (const [k, v] of [...totals].sort((a, b) => b[1] - a[1]).slice(0, 25)) console.error((v / 1e6).toFixed(2).padStart(8), k);
delay.disable();
await Promise.all(databases.map((database) => database.close()));
process.stdout.write(`${JSON.stringify({ tokens: replicas[0]!.tokenCount, wallMs: Math.round(wallMs), maxStallMs: Math.round(delay.max / 1e6), retries })}\n`);
