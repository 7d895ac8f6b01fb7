import { Redis } from "ioredis";
import type { AttemptLimiter } from "../domain/sign-in.js";

export interface AttemptLimits {
  /** Failures per principal within the window. */
  readonly perPrincipal: number;
  /** Failures per source address within the window (a source may try many names). */
  readonly perSource: number;
  readonly windowMs: number;
}

const limitFor = (key: string, limits: AttemptLimits) => (key.startsWith("source:") ? limits.perSource : limits.perPrincipal);

/**
 * Failed sign-ins counted in Redis, so every admin replica sees the same
 * counts. A fixed window from the first failure: INCR, and PEXPIRE NX.
 */
export function createRedisAttemptLimiter(url: string, prefix: string, limits: AttemptLimits): AttemptLimiter & { close(): Promise<void> } {
  const redis = new Redis(url, { connectionName: `${prefix}-sign-in`, maxRetriesPerRequest: 2 });
  redis.on("error", () => {}); // reported by the bus's own connections; sign-in fails closed below
  const redisKey = (key: string) => `${prefix}:sign-in:${key}`;
  return {
    async blocked(keys) {
      const counts = await redis.mget(...keys.map(redisKey));
      return keys.some((key, i) => Number(counts[i] ?? 0) >= limitFor(key, limits));
    },
    async failed(keys) {
      const multi = redis.multi();
      for (const key of keys) multi.incr(redisKey(key)).pexpire(redisKey(key), limits.windowMs, "NX");
      await multi.exec();
    },
    async reset(key) {
      await redis.del(redisKey(key));
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
    async blocked(keys) {
      return keys.some((key) => (current(key)?.count ?? 0) >= limitFor(key, limits));
    },
    async failed(keys) {
      for (const key of keys) {
        const entry = current(key) ?? { count: 0, endsAtMs: now() + limits.windowMs };
        entry.count++;
        counts.set(key, entry);
      }
    },
    async reset(key) {
      counts.delete(key);
    },
    async close() {
      counts.clear();
    },
  };
}
