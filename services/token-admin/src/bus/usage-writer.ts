import { fromBinary } from "@bufbuild/protobuf";
import type { Kysely } from "kysely";
import type { Database } from "@tessera/shared/db/schema";
import { UsageBatchSchema } from "@tessera/shared/gen/tessera/feed/v1/feed_pb";
import type { Logger } from "@tessera/shared/log/logger";
import { recordTokenUses, type TokenUse } from "../store/token-store.js";

/** Where validators' usage batches wait: each batch is taken by exactly one admin. */
export interface UsageQueue {
  take(max: number): Promise<Uint8Array[]>;
}

/** Batches taken per round; each holds up to 5000 uses. */
const batchesPerRound = 20;
const uuidPattern = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;
const sources = new Set(["grpc", "ext_authz", "forward_auth", "introspect"]);

/** Turns batches into one newest use per token, dropping anything malformed. */
export function usesFromBatches(batches: readonly Uint8Array[]): TokenUse[] {
  const newest = new Map<string, TokenUse>();
  for (const bytes of batches) {
    let batch;
    try {
      batch = fromBinary(UsageBatchSchema, bytes);
    } catch {
      continue;
    }
    for (const use of batch.uses) {
      if (!uuidPattern.test(use.tokenId) || !sources.has(use.source)) continue;
      const usedAt = new Date(Number(use.lastUsedAtMs));
      if (Number.isNaN(usedAt.getTime())) continue;
      const seen = newest.get(use.tokenId);
      if (!seen || seen.usedAt < usedAt) newest.set(use.tokenId, { tokenId: use.tokenId, usedAt, source: use.source });
    }
  }
  return [...newest.values()];
}

export interface UsageWriter {
  /** Takes and writes everything queued now. */
  drain(): Promise<void>;
  stop(): void;
}

/**
 * Every interval, takes the usage batches validators queued and writes last-used
 * times back, coarsely: one statement per round, never a write per validation.
 * With several admins, each batch is taken by exactly one.
 */
export function startUsageWriter(queue: UsageQueue, db: Kysely<Database>, intervalMs: number, log: Logger): UsageWriter {
  let running: Promise<void> | undefined;
  const drain = () => {
    running ??= (async () => {
      try {
        for (;;) {
          const batches = await queue.take(batchesPerRound);
          if (batches.length === 0) return;
          await recordTokenUses(db, usesFromBatches(batches));
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
