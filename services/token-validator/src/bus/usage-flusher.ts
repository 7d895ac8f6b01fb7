import { create, toBinary } from "@bufbuild/protobuf";
import { UsageBatchSchema } from "@tessera/shared/gen/tessera/feed/v1/feed_pb";
import type { Logger } from "@tessera/shared/log/logger";
import type { UsageRecorder } from "../domain/usage-recorder.js";

/** Where batches go: token-admin takes them from there. */
export interface UsageSink {
  push(batch: Uint8Array): Promise<void>;
}

/** Uses per batch: bounds one message (~60 bytes a use, plus its sources: up to ~350 bytes each). */
const maxUsesPerBatch = 2000;
/** Longest address and route sent: an X-Forwarded-For list or a long URI is cut. */
const maxAddressChars = 200;
const maxRouteChars = 300;

export interface UsageFlusher {
  /** Sends whatever is pending now (used at shutdown). */
  flush(): Promise<void>;
  stop(): void;
}

/**
 * Every interval, sends the uses recorded since the last flush to the admin side
 * as UsageBatch messages. A failed send is dropped: last-used times are coarse by
 * design, and the next use of the token records it again.
 */
export function startUsageFlusher(sink: UsageSink, recorder: UsageRecorder, validatorId: string, intervalMs: number, log: Logger): UsageFlusher {
  const flush = async () => {
    const uses = recorder.drain();
    for (let i = 0; i < uses.length; i += maxUsesPerBatch) {
      const batch = create(UsageBatchSchema, {
        validatorId,
        uses: uses.slice(i, i + maxUsesPerBatch).map((u) => ({
          tokenId: u.tokenId,
          lastUsedAtMs: BigInt(u.lastUsedAtMs),
          source: u.source,
          sources: u.sources.map((s) => ({
            surface: s.surface,
            // Bounded here too: a batch stays small whatever a proxy sent (the admin side trims and checks again).
            address: s.address.slice(0, maxAddressChars),
            route: s.route.slice(0, maxRouteChars),
            firstSeenMs: BigInt(s.firstSeenMs),
            lastSeenMs: BigInt(s.lastSeenMs),
            count: s.count,
            previousValue: s.previousValue,
          })),
        })),
      });
      await sink.push(toBinary(UsageBatchSchema, batch)).catch((err: unknown) => log.debug({ err }, "usage flush failed"));
    }
  };
  const timer = setInterval(() => void flush(), intervalMs);
  timer.unref();
  return { flush, stop: () => clearInterval(timer) };
}
