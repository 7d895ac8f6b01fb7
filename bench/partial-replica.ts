// One snapshot load, full or partial, in a process of its own: load time, and
// heap the loaded replica holds (heapUsed after GC, minus before the load).
// Run as a child: node --expose-gc --import tsx bench/partial-replica.ts <database url> [organisation id,…]
// (no ids: a full replica).
import { openDatabase } from "@tessera/shared/db/database";
import { Replica } from "../services/token-validator/src/domain/replica.js";
import { organisationScope } from "../services/token-validator/src/domain/organisation-scope.js";
import { createFeedStore } from "../services/token-validator/src/store/feed-store.js";

const gc = (globalThis as { gc?: () => void }).gc;
if (!gc) throw new Error("run with --expose-gc");
const settle = () => {
  for (let i = 0; i < 3; i++) gc();
  return process.memoryUsage().heapUsed;
};

const organisations = process.argv[3]?.split(",");
const database = await openDatabase({ url: process.argv[2]!, dataDir: "", poolSize: 2 });
const store = createFeedStore(database.db, undefined, undefined, { scope: organisationScope(organisations) });
// A first read of the head warms the pool, so its connection is no part of the load or the heap.
await store.readHead();
const before = settle();
const replica = new Replica();
const started = performance.now();
replica.appliedSeq = await store.readSnapshot(replica);
const loadMs = performance.now() - started;
const heapBytes = settle() - before;
await database.close();
process.stdout.write(`${JSON.stringify({ tokens: replica.tokenCount, principals: replica.principals.size, organisations: replica.organisations.size, loadMs: Math.round(loadMs), heapBytes })}\n`);
