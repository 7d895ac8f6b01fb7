import type { Logger } from "../log/logger.js";
import type { Bus } from "./bus.js";
import { createMemoryBus } from "./memory-bus.js";
import { createRedisBus } from "./redis-bus.js";

/** Redis when a URL is configured, else the in-process bus (meaningful only when embedded). */
export function openBus(redisUrl: string | undefined, prefix: string, log: Logger): Bus {
  if (!redisUrl) return createMemoryBus();
  let lastLoggedMs = 0;
  return createRedisBus({
    url: redisUrl,
    prefix,
    // ioredis retries on its own; one line per ten seconds is enough to see the outage.
    onError: (err) => {
      if (Date.now() - lastLoggedMs < 10_000) return;
      lastLoggedMs = Date.now();
      log.warn({ err: err.message }, "redis connection error");
    },
  });
}
