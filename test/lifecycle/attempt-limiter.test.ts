import { redisEndpointOf } from "@tessera/shared/config/redis-endpoint";
import { afterAll, describe, expect, it } from "vitest";
import { createMemoryAttemptLimiter, createRedisAttemptLimiter, delayAfter } from "@tessera/token-admin/bus/attempt-limiter";
import type { AttemptLimiter } from "@tessera/token-admin/domain/access/attempt-limiter";
import { connectRedis, redisUrl, uniqueRedisPrefix } from "../support/test-redis.js";

// One contract, two implementations: Redis (shared by admin replicas) and memory (the embedded process).
// Three free failures per principal, then delays of 150, 300, 600, 600… ms; five attempts per source.
const limits = { perSource: 5, freePerPrincipal: 3, delayMs: 150, maxDelayMs: 600, windowMs: 60_000 };
const implementations = {
  redis: () => createRedisAttemptLimiter(redisEndpointOf(redisUrl), uniqueRedisPrefix(), limits),
  memory: () => createMemoryAttemptLimiter(limits),
};

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
let sources = 0;
/** A source of its own for each test, so that the source limit only bites where a test means it to. */
const freshSource = () => `source:s${sources++}`;

/** An attempt on `principal` from a source of its own: principals' delays apart from any source limit. */
const from = (principal: string) => ({ source: freshSource(), principal });

/** Waits out a refusal's delay, then begins again. */
async function afterDelay(limiter: AttemptLimiter, principal: string) {
  const verdict = await limiter.begin(from(principal));
  if (!verdict.allowed) await sleep(verdict.retryAfterMs + 20);
  return limiter.begin(from(principal));
}

describe.each(Object.entries(implementations))("the %s attempt limiter", (_name, make) => {
  const limiter = make();
  afterAll(() => limiter.close());

  it("counts every attempt before it is checked, so concurrent attempts cannot all pass", async () => {
    const attempt = { source: freshSource(), principal: "principal:a" };
    const answers = await Promise.all(Array.from({ length: 8 }, () => limiter.begin(attempt)));
    expect(answers.filter((answer) => answer.allowed)).toHaveLength(3);
  });

  it("limits a source across principals, at its own limit", async () => {
    const source = freshSource();
    const answers: boolean[] = [];
    for (let i = 0; i < 7; i++) answers.push((await limiter.begin({ source, principal: `principal:b${i}` })).allowed);
    expect(answers).toEqual([true, true, true, true, true, false, false]);
  });

  it("after a success clears the principal's count and gives the attempt back to the source", async () => {
    const source = freshSource();
    for (let i = 0; i < 3; i++) await limiter.begin({ source, principal: "principal:c" });
    await limiter.succeeded({ source, principal: "principal:c" });
    // The principal starts afresh (no delay); the source holds two attempts, so three more pass and the fourth does not.
    expect((await limiter.begin({ source, principal: "principal:c" })).allowed).toBe(true);
    expect((await limiter.begin({ source, principal: "principal:c2" })).allowed).toBe(true);
    expect((await limiter.begin({ source, principal: "principal:c3" })).allowed).toBe(true);
    expect((await limiter.begin({ source, principal: "principal:c4" })).allowed).toBe(false);
  });

  it("gives nothing back to a source whose window has ended (no count below zero)", async () => {
    const source = freshSource();
    await limiter.succeeded({ source, principal: "principal:d" });
    const answers: boolean[] = [];
    for (let i = 0; i < 6; i++) answers.push((await limiter.begin({ source, principal: `principal:d${i}` })).allowed);
    expect(answers.filter(Boolean)).toHaveLength(5);
  });

  it("refuses a source past its limit without touching any principal's count", async () => {
    const blocked = freshSource();
    for (let i = 0; i < 5; i++) await limiter.begin({ source: blocked, principal: `principal:spray${i}` });
    // Twenty more from the blocked source against one principal: all refused, none counted against it.
    for (let i = 0; i < 20; i++) expect((await limiter.begin({ source: blocked, principal: "principal:victim" })).allowed).toBe(false);
    const source = freshSource();
    const answers = [];
    for (let i = 0; i < 3; i++) answers.push((await limiter.begin({ source, principal: "principal:victim" })).allowed);
    expect(answers).toEqual([true, true, true]);
  });

  it("slows a principal past its free failures with doubling delays up to a ceiling, and never locks it", async () => {
    const principal = "principal:slow";
    for (let i = 0; i < 3; i++) expect((await limiter.begin(from(principal))).allowed).toBe(true);
    const retries: number[] = [];
    for (let failure = 4; failure <= 6; failure++) {
      const refused = await limiter.begin(from(principal));
      expect(refused.allowed).toBe(false);
      const retryAfterMs = refused.allowed ? 0 : refused.retryAfterMs;
      retries.push(retryAfterMs);
      // The delay the previous failure set, less the little time since.
      expect(retryAfterMs).toBeLessThanOrEqual(delayAfter(failure - 1, limits));
      expect(retryAfterMs).toBeGreaterThan(delayAfter(failure - 1, limits) / 2);
      await sleep(retryAfterMs + 20);
      expect((await limiter.begin(from(principal))).allowed).toBe(true);
    }
    expect(retries.length).toBe(3);
    expect(delayAfter(10, limits)).toBe(limits.maxDelayMs);
  });

  it("does not count attempts refused during a delay: the next delay is the next step, not a longer one", async () => {
    const principal = "principal:patient";
    for (let i = 0; i < 3; i++) await limiter.begin(from(principal));
    for (let i = 0; i < 4; i++) expect((await limiter.begin(from(principal))).allowed).toBe(false);
    expect((await afterDelay(limiter, principal)).allowed).toBe(true);
    const next = await limiter.begin(from(principal));
    expect(next.allowed).toBe(false);
    expect(next.allowed ? 0 : next.retryAfterMs).toBeLessThanOrEqual(delayAfter(4, limits));
  });

  it("gives an abandoned attempt (its password never checked) back to principal and source, delay included", async () => {
    const attempt = { source: freshSource(), principal: "principal:busy" };
    for (let i = 0; i < 3; i++) await limiter.begin(attempt);
    await limiter.abandoned(attempt); // the third: no delay now, and one free failure again
    expect((await limiter.begin(attempt)).allowed).toBe(true);
    expect((await limiter.begin(attempt)).allowed).toBe(false);
    // The source got its attempt back too: five attempts made, one returned, so one more of its five fits.
    expect((await limiter.begin({ ...attempt, principal: "principal:busy2" })).allowed).toBe(true);
    expect((await limiter.begin({ ...attempt, principal: "principal:busy3" })).allowed).toBe(false);
  });
});

describe("the Redis attempt limiter's keys", () => {
  it("expire: a source's and a principal's count with the window, a delay when it ends", async () => {
    const prefix = uniqueRedisPrefix();
    const limiter = createRedisAttemptLimiter(redisEndpointOf(redisUrl), prefix, limits);
    const redis = connectRedis();
    try {
      for (let i = 0; i < 3; i++) await limiter.begin({ source: "source:e", principal: "principal:e" });
      for (const key of ["source:e", "principal:e"]) {
        const ttl = await redis.pttl(`${prefix}:sign-in:${key}`);
        expect(ttl).toBeGreaterThan(0);
        expect(ttl).toBeLessThanOrEqual(limits.windowMs);
      }
      const hold = await redis.pttl(`${prefix}:sign-in:principal:e:hold`);
      expect(hold).toBeGreaterThan(0);
      expect(hold).toBeLessThanOrEqual(limits.delayMs);
    } finally {
      redis.disconnect();
      await limiter.close();
    }
  });
});
