import type { Kysely } from "kysely";
import type { FeedHeartbeat } from "@tessera/shared/bus/bus-messages";
import type { Database } from "@tessera/shared/db/schema";
import type { Logger } from "@tessera/shared/log/logger";
import { readFeedHead } from "../store/change-log-store.js";

/** Where heartbeats go: the change feed's own channel, behind every change published before them. */
export interface HeartbeatPublisher {
  publishHeartbeat(heartbeat: FeedHeartbeat): Promise<void>;
}

export interface FeedHeartbeatJob {
  stop(): void;
}

/**
 * Publishes the feed head every interval, so a validator can *prove* it holds
 * every change rather than assume so from an open connection. The instant is
 * taken before the head is read: every change committed before it is at or below
 * the head read. One beat at a time: a slow database or Redis never piles them up.
 */
export function startFeedHeartbeat(db: Kysely<Database>, feed: HeartbeatPublisher, intervalMs: number, log: Logger): FeedHeartbeatJob {
  let beating = false;
  let lastErrorLogMs = 0;
  const beat = async () => {
    if (beating) return;
    beating = true;
    const readAtMs = Date.now();
    try {
      const headSeq = await readFeedHead(db);
      await feed.publishHeartbeat({ headSeq, readAtMs });
    } catch (err) {
      if (readAtMs - lastErrorLogMs > 10_000) {
        lastErrorLogMs = readAtMs;
        log.warn({ err: (err as Error).message }, "feed heartbeat failed; validators will count from their own polls");
      }
    } finally {
      beating = false;
    }
  };
  const timer = setInterval(() => void beat(), intervalMs);
  timer.unref();
  void beat();
  return { stop: () => clearInterval(timer) };
}
