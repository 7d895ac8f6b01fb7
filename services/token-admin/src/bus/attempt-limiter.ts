import { Redis } from "ioredis";
import { redisTlsOptions } from "@tessera/shared/bus/redis-link";
import type { AttemptLimiter } from "../domain/access/attempt-limiter.js";

export interface AttemptLimits {
  /** Failures per principal within the window. */
  readonly perPrincipal: number;
  /** Failures per source address within the window (a source may try many names). */
  readonly perSource: number;
  readonly windowMs: number;
}

const limitFor = (key: string, limits: AttemptLimits) => (key.startsWith("source:") ? limits.perSource : limits.perPrincipal);

const decrementLiveKeys = `for _, key in ipairs(KEYS) do
  if redis.call("EXISTS", key) == 1 then redis.call("DECR", key) end
end
return 0`;

/**
 * Attempts counted in Redis, so every admin replica sees the same counts. A
 * fixed window from the first attempt: INCR, and PEXPIRE NX, in one MULTI.
 */
export function createRedisAttemptLimiter(url: string, prefix: string, limits: AttemptLimits, ca?: Buffer): AttemptLimiter & { close(): Promise<void> } {
  const redis = new Redis(url, { ...redisTlsOptions(ca), connectionName: `${prefix}-sign-in`, maxRetriesPerRequest: 2 });
  redis.on("error", () => {}); // reported by the bus's own connections; sign-in fails closed below
  const redisKey = (key: string) => `${prefix}:sign-in:${key}`;
  return {
    async begin(keys) {
      const multi = redis.multi();
      for (const key of keys) multi.incr(redisKey(key)).pexpire(redisKey(key), limits.windowMs, "NX");
      const replies = await multi.exec();
      if (!replies) throw new Error("sign-in attempt count was not recorded");
      return keys.every((key, i) => {
        const [error, count] = replies[i * 2]!;
        if (error) throw error;
        return Number(count) <= limitFor(key, limits);
      });
    },
    async succeeded(clearKey, returnKeys) {
      await redis.del(redisKey(clearKey));
      // Only a count still in its window is given back: DECR on an expired key would start one at -1 with no expiry.
      if (returnKeys.length > 0) await redis.eval(decrementLiveKeys, returnKeys.length, ...returnKeys.map(redisKey));
    },
    async close() {
      await redis.quit().catch(() => {});
    },
  };
}

/** The same limiter in process memory, for the embedded single process. */
export function createMemoryAttemptLimiter(limits: AttemptLimits, now: () => number = Date.now): AttemptLimiter & { close(): Promise<void> } {
  const counts = new Map<string, { count: number; endsAtMs: number }>();
  const current = (key: string) => {
    const entry = counts.get(key);
    if (entry && entry.endsAtMs <= now()) counts.delete(key);
    return counts.get(key);
  };
  return {
    async begin(keys) {
      let allowed = true;
      for (const key of keys) {
        const entry = current(key) ?? { count: 0, endsAtMs: now() + limits.windowMs };
        entry.count++;
        counts.set(key, entry);
        if (entry.count > limitFor(key, limits)) allowed = false;
      }
      return allowed;
    },
    async succeeded(clearKey, returnKeys) {
      counts.delete(clearKey);
      for (const key of returnKeys) {
        const entry = current(key);
        if (entry) entry.count = Math.max(0, entry.count - 1);
      }
    },
    async close() {
      counts.clear();
    },
  };
}
