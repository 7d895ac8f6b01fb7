// A restart herd in one process: N replicas loaded at once, from Postgres (each
// its own snapshot read) or from token-admin's cached snapshot (with the
// fallback a validator has), timed, with the event loop's worst stall.
// Run as a child, built (bench/tsconfig.children.json): node bench/.work/children/herd-load.js <postgres|cached> <n> <database url> <token-admin url> <pepper>
import { monitorEventLoopDelay } from "node:perf_hooks";
import { openDatabase } from "@tessera/shared/db/database";
import { createLogger } from "@tessera/shared/log/logger";
import { createSnapshotAuth } from "@tessera/shared/snapshot/snapshot-auth";
import { Replica } from "@tessera/token-validator/domain/replica";
import { readCachedSnapshot } from "@tessera/token-validator/store/cached-snapshot-client";
import { createFeedStore } from "@tessera/token-validator/store/feed-store";
import { withCachedSnapshots } from "@tessera/token-validator/store/snapshot-fallback";

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
const started = performance.now();
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
delay.disable();
await Promise.all(databases.map((database) => database.close()));
process.stdout.write(`${JSON.stringify({ tokens: replicas[0]!.tokenCount, wallMs: Math.round(wallMs), maxStallMs: Math.round(delay.max / 1e6), retries })}\n`);
