import { fromBinary } from "@bufbuild/protobuf";
import type { Kysely } from "kysely";
import type { Database } from "@tessera/shared/db/schema";
import { UsageBatchSchema, type UseSource as WireSource } from "@tessera/shared/gen/tessera/feed/v1/feed_pb";
import type { Logger } from "@tessera/shared/log/logger";
import { recordTokenUses, type TokenUse } from "../store/token-store.js";
import { displayAddress, displayRoute } from "./reported-origin.js";
import { recordPreviousValueUses, recordUseSources, type PreviousValueUse, type UseSource } from "../store/use-source-store.js";

/** Where validators' usage batches wait: each batch is taken by exactly one admin. */
export interface UsageQueue {
  take(max: number): Promise<Uint8Array[]>;
}

/** Batches taken per round; each holds up to a few thousand uses. */
const batchesPerRound = 20;
const uuidPattern = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;
const surfaces = new Set(["grpc", "ext_authz", "forward_auth", "introspect"]);
/** Times a validator may report: not before 2020, not from the future beyond a clock's skew. */
const earliestMs = Date.UTC(2020, 0, 1);
const skewMs = 5 * 60_000;

/** What one round of batches says: the newest use per token, its sources merged, and uses of previous values. */
export interface RoundOfUses {
  readonly uses: TokenUse[];
  readonly sources: UseSource[];
  readonly previousValueUses: PreviousValueUse[];
}

const timeOf = (ms: bigint, nowMs: number): Date | undefined => {
  const n = Number(ms);
  return n >= earliestMs && n <= nowMs + skewMs ? new Date(n) : undefined;
};

/**
 * Turns batches into one newest use per token, the distinct sources (merged
 * across batches and validators, at most `perToken` per token, the most
 * recently seen kept) and the newest use of each previous value, dropping
 * anything malformed.
 */
export function usesFromBatches(batches: readonly Uint8Array[], perToken = 10, nowMs = Date.now()): RoundOfUses {
  const newest = new Map<string, TokenUse>();
  const merged = new Map<string, UseSource>();
  const previous = new Map<string, Date>();
  const addSource = (tokenId: string, wire: WireSource) => {
    if (!surfaces.has(wire.surface) || wire.count < 1) return;
    const first = timeOf(wire.firstSeenMs, nowMs);
    const last = timeOf(wire.lastSeenMs, nowMs);
    if (!first || !last || first > last) return;
    const source = { tokenId, surface: wire.surface, address: displayAddress(wire.surface, wire.address), route: displayRoute(wire.route), previousValue: wire.previousValue };
    const key = `${tokenId}\u0000${source.surface}\u0000${source.address}\u0000${source.route}\u0000${source.previousValue ? 1 : 0}`;
    const seen = merged.get(key);
    merged.set(key, seen
      ? { ...seen, firstSeenAt: seen.firstSeenAt < first ? seen.firstSeenAt : first, lastSeenAt: seen.lastSeenAt > last ? seen.lastSeenAt : last, count: seen.count + wire.count }
      : { ...source, firstSeenAt: first, lastSeenAt: last, count: wire.count });
    if (wire.previousValue) {
      const at = previous.get(tokenId);
      if (!at || at < last) previous.set(tokenId, last);
    }
  };
  for (const bytes of batches) {
    let batch;
    try {
      batch = fromBinary(UsageBatchSchema, bytes);
    } catch {
      continue;
    }
    for (const use of batch.uses) {
      if (!uuidPattern.test(use.tokenId) || !surfaces.has(use.source)) continue;
      const usedAt = timeOf(use.lastUsedAtMs, nowMs);
      if (!usedAt) continue;
      const seen = newest.get(use.tokenId);
      if (!seen || seen.usedAt < usedAt) newest.set(use.tokenId, { tokenId: use.tokenId, usedAt, source: use.source });
      // A validator sends at most its own bound; more is not believed.
      for (const wire of use.sources.slice(0, perToken)) addSource(use.tokenId, wire);
    }
  }
  // Bounded per token: the most recently seen `perToken` of what this round says.
  const byToken = new Map<string, UseSource[]>();
  for (const source of merged.values()) {
    const list = byToken.get(source.tokenId) ?? [];
    list.push(source);
    byToken.set(source.tokenId, list);
  }
  const sources = [...byToken.values()].flatMap((list) => list.sort((a, b) => b.lastSeenAt.getTime() - a.lastSeenAt.getTime()).slice(0, perToken));
  return { uses: [...newest.values()], sources, previousValueUses: [...previous].map(([tokenId, usedAt]) => ({ tokenId, usedAt })) };
}

export interface UsageWriter {
  /** Takes and writes everything queued now. */
  drain(): Promise<void>;
  stop(): void;
}

/**
 * Every interval, takes the usage batches validators queued and writes last-used
 * times and sources back, coarsely: a few statements per round, never a write
 * per validation. With several admins, each batch is taken by exactly one.
 */
export function startUsageWriter(queue: UsageQueue, db: Kysely<Database>, intervalMs: number, log: Logger, sourcesPerToken = 10): UsageWriter {
  let running: Promise<void> | undefined;
  const drain = () => {
    running ??= (async () => {
      try {
        for (;;) {
          const batches = await queue.take(batchesPerRound);
          if (batches.length === 0) return;
          const round = usesFromBatches(batches, sourcesPerToken);
          await recordTokenUses(db, round.uses);
          await recordUseSources(db, round.sources, sourcesPerToken);
          await recordPreviousValueUses(db, round.previousValueUses);
          if (batches.length < batchesPerRound) return;
        }
      } catch (err) {
        log.warn({ err: (err as Error).message }, "writing last-used times failed; will retry");
      } finally {
        running = undefined;
      }
    })();
    return running;
  };
  const timer = setInterval(() => void drain(), intervalMs);
  timer.unref();
  return { drain, stop: () => clearInterval(timer) };
}
