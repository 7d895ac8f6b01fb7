// Snapshot load: a validator's first read of N live tokens from Postgres, as
// FeedFollower does it, timed, with the event loop's worst stall measured.
// Run as a child, built (bench/tsconfig.children.json): node bench/.work/children/snapshot-load.js <database url>
import { monitorEventLoopDelay } from "node:perf_hooks";
import { openDatabase } from "@tessera/shared/db/database";
import { Replica } from "@tessera/token-validator/domain/replica";
import { createFeedStore } from "@tessera/token-validator/store/feed-store";

const database = await openDatabase({ url: process.argv[2]!, dataDir: "", poolSize: 2 });
const delay = monitorEventLoopDelay({ resolution: 5 });
const replica = new Replica();
delay.enable();
const started = performance.now();
replica.appliedSeq = await createFeedStore(database.db).readSnapshot(replica);
const loadMs = performance.now() - started;
delay.disable();
await database.close();
process.stdout.write(`${JSON.stringify({ tokens: replica.tokenCount, loadMs: Math.round(loadMs), maxStallMs: Math.round(delay.max / 1e6), p99StallMs: Math.round(delay.percentile(99) / 1e6) })}\n`);
