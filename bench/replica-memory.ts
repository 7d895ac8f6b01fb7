// Memory per live token, and the cost of a lookup, for a replica of N tokens
// (the shape a snapshot delivers: 10,000 owners, a few scope sets) against a
// plain Map of digest strings in the same run.
//   node --expose-gc --import tsx bench/replica-memory.ts [N] [--map]
// Bytes: heapUsed + arrayBuffers after GC, minus before, over N (the table's
// columns are array buffers, outside the JS heap). --map also measures the Map
// baseline's bytes (slow and large at 10 M).
import { randomUUID } from "node:crypto";
import { create } from "@bufbuild/protobuf";
import { ChangeRecordSchema } from "@tessera/shared/gen/tessera/feed/v1/feed_pb";
import { packedToken } from "@tessera/shared/snapshot/packed-token-layout";
import { Replica } from "../services/token-validator/src/domain/replica.js";
import { packTokens, syntheticDigest } from "./support/pack-tokens.js";

const count = Number(process.argv[2] ?? 1_000_000);
const gc = (globalThis as { gc?: () => void }).gc;
if (!gc) throw new Error("run with --expose-gc");
const lookups = 1_000_000;

function settle(): number {
  for (let i = 0; i < 3; i++) gc!();
  const usage = process.memoryUsage();
  return usage.heapUsed + usage.arrayBuffers;
}

const owners = Array.from({ length: 10_000 }, () => randomUUID());
const organisation = randomUUID();
const scopeSets = [["orders:read"], ["orders:read", "orders:write"], ["invoices:read"], [], ["repo:read", "repo:write", "pipelines:run"]];

// Packed in chunks as a snapshot arrives; the digests kept apart for the lookups.
const chunkTokens = 4096;
const sample: Buffer[] = [];
const replica = new Replica();
replica.applyEvent(1n, [
  create(ChangeRecordSchema, { record: { case: "organisation", value: { id: organisation, apiTokensEnabled: true } } }),
  ...owners.map((id) => create(ChangeRecordSchema, { record: { case: "principal", value: { id, organisationId: organisation, permissions: ["orders:read"] } } })),
]);
const before = settle();
let applyMs = 0;
// Packed a chunk at a time as a snapshot arrives; each chunk is garbage once loaded.
for (let made = 0; made < count; made += chunkTokens) {
  const packed = packTokens(made, Math.min(chunkTokens, count - made), owners, organisation, scopeSets);
  const started = performance.now();
  replica.addPackedTokens(packed);
  applyMs += performance.now() - started;
}
replica.snapshotLoaded(); // as the follower does once a snapshot is in
const after = settle();
// A random sample of held tokens to look up, made after the measure.
for (let i = 0; i < Math.min(lookups, count); i++) sample.push(syntheticDigest(Math.floor(Math.random() * count)));
const bytesPerToken = Math.round((after - before) / count);

/**
 * ns per call of `lookup` over the sample in random order, the best of three
 * passes. Each key is a fresh latin1 string of a digest (what DigestKeyer returns
 * on the request path), whose hash no one has cached, made untimed a batch at a
 * time, in the order looked up: making it from a random one of a million Buffers
 * cost more than either lookup and swung with the machine (1.5-2.5 µs here),
 * burying the two structures' difference under noise both share.
 */
function timeLookups(lookup: (key: string) => unknown): number {
  const order = Uint32Array.from({ length: sample.length }, () => Math.floor(Math.random() * sample.length));
  const batch = 16_384;
  let best = Infinity;
  for (let pass = 0; pass < 3; pass++) {
    let found = 0;
    let elapsed = 0n;
    for (let from = 0; from < order.length; from += batch) {
      const batchKeys = Array.from(order.subarray(from, from + batch), (i) => sample[i]!.toString("latin1"));
      const started = process.hrtime.bigint();
      for (let i = 0; i < batchKeys.length; i++) if (lookup(batchKeys[i]!) !== undefined) found++;
      elapsed += process.hrtime.bigint() - started;
    }
    if (found !== order.length) throw new Error(`lookups missed: ${order.length - found}`);
    best = Math.min(best, Number(elapsed) / order.length);
  }
  return best;
}
// Each as the request path does it: from the key string to the token's facts a decision reads (flags,
// expiry, creation, profile) — a TokenEntry reads them from the table's columns, the Map's object holds them.
const tableNs = timeLookups((key) => replica.findByKey(key));

// Today's design before the table: a Map from the digest as a latin1 string to an object per token holding its facts.
interface TokenFacts {
  flags: number;
  expiresAt: number;
  createdAt: number;
  profile: number;
}
const facts = (i: number): TokenFacts => ({ flags: 1, expiresAt: 2_000_000_000 + i, createdAt: 1_700_000_000 + i, profile: i % 10_000 });
const keys = sample.map((digest) => digest.toString("latin1"));
const mapBefore = process.argv.includes("--map") ? settle() : 0;
const map = new Map<string, TokenFacts>();
for (const [i, key] of keys.entries()) map.set(key, facts(i));
// Filled to N with the other tokens' digests, so both structures hold the same.
for (let i = 0; map.size < count; i++) map.set(syntheticDigest(i).toString("latin1"), facts(i));
const mapBytesPerToken = process.argv.includes("--map") ? Math.round((settle() - mapBefore) / count) : undefined;
const mapNs = timeLookups((key) => {
  const found = map.get(key);
  return found === undefined ? undefined : found.flags ^ found.expiresAt ^ found.createdAt ^ found.profile;
});

process.stdout.write(
  `${JSON.stringify({
    tokens: replica.tokenCount,
    bytesPerToken,
    mapBytesPerToken,
    applyMs: Math.round(applyMs),
    tableLookupNs: Math.round(tableNs),
    mapLookupNs: Math.round(mapNs),
    packedBytesPerToken: Math.round(packedToken.variable + 4 + 14),
  })}\n`,
);
