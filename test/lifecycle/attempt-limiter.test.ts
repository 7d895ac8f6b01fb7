import { afterAll, describe, expect, it } from "vitest";
import { createMemoryAttemptLimiter, createRedisAttemptLimiter } from "@tessera/token-admin/bus/attempt-limiter";
import { connectRedis, redisUrl, uniqueRedisPrefix } from "../support/test-redis.js";

// One contract, two implementations: Redis (shared by admin replicas) and memory (the embedded process).
const limits = { perPrincipal: 3, perSource: 5, windowMs: 60_000 };
const implementations = {
  redis: () => createRedisAttemptLimiter(redisUrl, uniqueRedisPrefix(), limits),
  memory: () => createMemoryAttemptLimiter(limits),
};

describe.each(Object.entries(implementations))("the %s attempt limiter", (_name, make) => {
  const limiter = make();
  afterAll(() => limiter.close());

  it("counts every attempt before it is checked, so concurrent attempts cannot all pass", async () => {
    const answers = await Promise.all(Array.from({ length: 8 }, () => limiter.begin(["principal:a", "source:a"])));
    expect(answers.filter(Boolean)).toHaveLength(3);
  });

  it("limits a source across principals, at its own limit", async () => {
    const answers: boolean[] = [];
    for (let i = 0; i < 7; i++) answers.push(await limiter.begin([`principal:b${i}`, "source:b"]));
    expect(answers).toEqual([true, true, true, true, true, false, false]);
  });

  it("after a success clears the principal's count and gives the attempt back to the source", async () => {
    for (let i = 0; i < 3; i++) await limiter.begin(["principal:c", "source:c"]);
    await limiter.succeeded("principal:c", ["source:c"]);
    // The principal starts afresh; the source holds two attempts, so three more pass and the fourth does not.
    expect(await limiter.begin(["principal:c", "source:c"])).toBe(true);
    expect(await limiter.begin(["principal:c2", "source:c"])).toBe(true);
    expect(await limiter.begin(["principal:c3", "source:c"])).toBe(true);
    expect(await limiter.begin(["principal:c4", "source:c"])).toBe(false);
  });

  it("gives nothing back to a source whose window has ended (no count below zero)", async () => {
    await limiter.succeeded("principal:d", ["source:d"]);
    const answers: boolean[] = [];
    for (let i = 0; i < 6; i++) answers.push(await limiter.begin([`principal:d${i}`, "source:d"]));
    expect(answers.filter(Boolean)).toHaveLength(5);
  });
});

describe("the Redis attempt limiter's keys", () => {
  it("expire with the window", async () => {
    const prefix = uniqueRedisPrefix();
    const limiter = createRedisAttemptLimiter(redisUrl, prefix, limits);
    const redis = connectRedis();
    try {
      await limiter.begin(["principal:e"]);
      const ttl = await redis.pttl(`${prefix}:sign-in:principal:e`);
      expect(ttl).toBeGreaterThan(0);
      expect(ttl).toBeLessThanOrEqual(limits.windowMs);
    } finally {
      redis.disconnect();
      await limiter.close();
    }
  });
});
