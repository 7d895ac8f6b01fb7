import { connectRedis } from "@tessera/shared/bus/redis-link";
import type { RedisEndpoint } from "@tessera/shared/config/redis-endpoint";
import type { Attempt, AttemptLimiter, AttemptVerdict } from "../domain/access/attempt-limiter.js";

export interface AttemptLimits {
  /** Attempts per source address within the window (a source may try many names). */
  readonly perSource: number;
  /** Failures a principal may have before it is slowed down. */
  readonly freePerPrincipal: number;
  /** The first delay after those; it doubles with each further failure, up to maxDelayMs. */
  readonly delayMs: number;
  readonly maxDelayMs: number;
  /** How long counts last: a source's from its first attempt, a principal's from its last failure. */
  readonly windowMs: number;
}

/** The delay a principal's `failures`-th failure imposes on its next attempt (0 while it has free ones left). */
export function delayAfter(failures: number, limits: AttemptLimits): number {
  if (failures < limits.freePerPrincipal) return 0;
  return Math.min(limits.maxDelayMs, limits.delayMs * 2 ** (failures - limits.freePerPrincipal));
}

// KEYS: source count, principal failures, principal hold (exists while the principal must wait).
// ARGV: perSource, windowMs, freePerPrincipal, delayMs, maxDelayMs. Returns {allowed 0/1, retry after ms}.
const beginScript = `
local used = tonumber(redis.call("GET", KEYS[1]) or "0")
if used >= tonumber(ARGV[1]) then return {0, math.max(redis.call("PTTL", KEYS[1]), 1)} end
redis.call("INCR", KEYS[1])
redis.call("PEXPIRE", KEYS[1], ARGV[2], "NX")
local hold = redis.call("PTTL", KEYS[3])
if hold > 0 then return {0, hold} end
local failures = redis.call("INCR", KEYS[2])
redis.call("PEXPIRE", KEYS[2], ARGV[2])
local free = tonumber(ARGV[3])
if failures >= free then
  local delay = math.min(tonumber(ARGV[5]), tonumber(ARGV[4]) * 2 ^ (failures - free))
  redis.call("SET", KEYS[3], "1", "PX", math.floor(delay))
end
return {1, 0}`;

// KEYS: counts to give one attempt back to (only while still in their window: DECR on an expired
// key would start one at -1 with no expiry), then keys to delete.
const giveBackScript = `
for i = 1, tonumber(ARGV[1]) do
  if tonumber(redis.call("GET", KEYS[i]) or "0") > 0 then redis.call("DECR", KEYS[i]) end
end
for i = tonumber(ARGV[1]) + 1, #KEYS do redis.call("DEL", KEYS[i]) end
return 0`;

/**
 * Attempts counted in Redis, so every admin replica sees the same counts; each
 * step is one script, so concurrent attempts see each other's counts. A delay
 * is a key that expires when it ends.
 */
export function createRedisAttemptLimiter(endpoint: RedisEndpoint, prefix: string, limits: AttemptLimits, ca?: Buffer): AttemptLimiter & { close(): Promise<void> } {
  const redis = connectRedis(endpoint, ca, { connectionName: `${prefix}-sign-in`, maxRetriesPerRequest: 2 });
  redis.on("error", () => {}); // reported by the bus's own connections; sign-in fails closed below
  const keysOf = (attempt: Attempt) => ({
    source: `${prefix}:sign-in:${attempt.source}`,
    failures: `${prefix}:sign-in:${attempt.principal}`,
    hold: `${prefix}:sign-in:${attempt.principal}:hold`,
  });
  const giveBack = (counts: string[], deletes: string[]) => redis.eval(giveBackScript, counts.length + deletes.length, ...counts, ...deletes, counts.length);
  return {
    async begin(attempt): Promise<AttemptVerdict> {
      const keys = keysOf(attempt);
      const [allowed, retryAfterMs] = (await redis.eval(
        beginScript, 3, keys.source, keys.failures, keys.hold,
        limits.perSource, limits.windowMs, limits.freePerPrincipal, limits.delayMs, limits.maxDelayMs,
      )) as [number, number];
      return allowed === 1 ? { allowed: true } : { allowed: false, retryAfterMs };
    },
    async succeeded(attempt) {
      const keys = keysOf(attempt);
      await giveBack([keys.source], [keys.failures, keys.hold]);
    },
    async abandoned(attempt) {
      const keys = keysOf(attempt);
      await giveBack([keys.source, keys.failures], [keys.hold]);
    },
    async close() {
      await redis.quit().catch(() => {});
    },
  };
}

interface Count {
  count: number;
  endsAtMs: number;
}

/** Sources and principals tracked at most, each, by the in-memory limiter. */
const defaultMaxTracked = 100_000;

/** Sets `key`; a key new to a full map first makes room by forgetting the longest-held entry. */
function setBounded<T>(map: Map<string, T>, key: string, value: T, max: number): void {
  if (!map.has(key) && map.size >= max) map.delete(map.keys().next().value!);
  map.set(key, value);
}

/**
 * The same limiter in process memory, for the embedded single process. Each
 * map holds at most `maxTracked` keys, so a flood of made-up sources or names
 * within one window costs bounded memory; the oldest counts go first (a
 * flood that large already comes from more sources than the per-source limit stops).
 */
export function createMemoryAttemptLimiter(
  limits: AttemptLimits,
  now: () => number = Date.now,
  maxTracked = defaultMaxTracked,
): AttemptLimiter & { close(): Promise<void>; tracked(): { sources: number; principals: number } } {
  const sources = new Map<string, Count>();
  const principals = new Map<string, Count & { holdUntilMs: number }>();
  const live = <T extends Count>(map: Map<string, T>, key: string): T | undefined => {
    const entry = map.get(key);
    if (entry && entry.endsAtMs <= now()) map.delete(key);
    return map.get(key);
  };
  // Expired entries would otherwise stay until their key is seen again.
  const sweep = setInterval(() => {
    for (const map of [sources, principals]) for (const key of map.keys()) live(map, key);
  }, limits.windowMs);
  sweep.unref();
  return {
    async begin(attempt): Promise<AttemptVerdict> {
      const at = now();
      const source = live(sources, attempt.source) ?? { count: 0, endsAtMs: at + limits.windowMs };
      if (source.count >= limits.perSource) return { allowed: false, retryAfterMs: Math.max(1, source.endsAtMs - at) };
      source.count++;
      setBounded(sources, attempt.source, source, maxTracked);
      const principal = live(principals, attempt.principal) ?? { count: 0, endsAtMs: 0, holdUntilMs: 0 };
      if (principal.holdUntilMs > at) return { allowed: false, retryAfterMs: principal.holdUntilMs - at };
      principal.count++;
      principal.endsAtMs = at + limits.windowMs;
      principal.holdUntilMs = at + delayAfter(principal.count, limits);
      setBounded(principals, attempt.principal, principal, maxTracked);
      return { allowed: true };
    },
    async succeeded(attempt) {
      principals.delete(attempt.principal);
      const source = live(sources, attempt.source);
      if (source) source.count = Math.max(0, source.count - 1);
    },
    async abandoned(attempt) {
      for (const entry of [live(sources, attempt.source), live(principals, attempt.principal)]) if (entry) entry.count = Math.max(0, entry.count - 1);
      const principal = principals.get(attempt.principal);
      if (principal) principal.holdUntilMs = 0;
    },
    tracked: () => ({ sources: sources.size, principals: principals.size }),
    async close() {
      clearInterval(sweep);
      sources.clear();
      principals.clear();
    },
  };
}
