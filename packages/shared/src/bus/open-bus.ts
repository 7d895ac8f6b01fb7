import { createMessageSeal } from "../feed/message-seal.js";
import type { RedisEndpoint } from "../config/redis-endpoint.js";
import type { Logger } from "../log/logger.js";
import type { ChangeFeedAdapter } from "./change-feed.js";
import type { HoneytokenAlarmsAdapter } from "./honeytoken-alarms.js";
import { createMemoryHoneytokenAlarms } from "./memory-honeytoken-alarms.js";
import { createRedisHoneytokenAlarms } from "./redis-honeytoken-alarms.js";
import { createMemoryChangeFeed } from "./memory-change-feed.js";
import { createMemoryUsageQueue } from "./memory-usage-queue.js";
import { createMemoryValidatorRoster } from "./memory-validator-roster.js";
import { createRedisChangeFeed } from "./redis-change-feed.js";
import { openRedisLink } from "./redis-link.js";
import { createRedisUsageQueue } from "./redis-usage-queue.js";
import { createRedisValidatorRoster } from "./redis-validator-roster.js";
import type { UsageQueueAdapter } from "./usage-queue.js";
import type { ValidatorRosterAdapter } from "./validator-roster.js";

/**
 * The messaging between token-admin and validators, one adapter per concern.
 * Pub/sub is at-most-once: nothing here may be the only copy of a change.
 */
export interface Bus {
  readonly feed: ChangeFeedAdapter;
  readonly roster: ValidatorRosterAdapter;
  readonly usage: UsageQueueAdapter;
  /** Honeytoken presentations, validator → admin, one message each. */
  readonly honeytokens: HoneytokenAlarmsAdapter;
  close(): Promise<void>;
}

export interface BusOptions {
  /** Unset → in-process (meaningful only when embedded). */
  readonly redis: RedisEndpoint | undefined;
  /** PEM: the CA of a rediss:// server the system does not trust. */
  readonly redisCa?: Buffer | undefined;
  readonly prefix: string;
  /** Keys the seals of every message that crosses Redis. */
  readonly pepper: string;
  readonly log: Logger;
  /** Reconnect a feed subscription silent for this long (validators). */
  readonly feedSilenceMs?: number;
}

/** The in-process bus for the embedded single process: same contracts, no network. */
export function createMemoryBus(now: () => number = Date.now): Bus {
  const feed = createMemoryChangeFeed();
  const roster = createMemoryValidatorRoster(now);
  return {
    feed,
    roster,
    usage: createMemoryUsageQueue(),
    honeytokens: createMemoryHoneytokenAlarms(),
    async close() {
      feed.close();
      roster.close();
    },
  };
}

/** Redis when a URL is configured, else the in-process bus. */
export function openBus(options: BusOptions): Bus {
  if (!options.redis) return createMemoryBus();
  let lastLoggedMs = 0;
  const link = openRedisLink({
    endpoint: options.redis,
    ca: options.redisCa,
    prefix: options.prefix,
    // ioredis retries on its own; one line per ten seconds is enough to see the outage.
    onError: (err) => {
      if (Date.now() - lastLoggedMs < 10_000) return;
      lastLoggedMs = Date.now();
      options.log.warn({ err: err.message }, "redis connection error");
    },
  });
  return {
    feed: createRedisChangeFeed(link, createMessageSeal(options.pepper, "feed"), { silenceMs: options.feedSilenceMs }),
    roster: createRedisValidatorRoster(link, createMessageSeal(options.pepper, "roster")),
    usage: createRedisUsageQueue(link, createMessageSeal(options.pepper, "usage")),
    honeytokens: createRedisHoneytokenAlarms(link, createMessageSeal(options.pepper, "honeytoken")),
    close: () => link.close(),
  };
}
