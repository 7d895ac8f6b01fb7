import { randomBytes } from "node:crypto";
import { Redis } from "ioredis";

export const redisUrl = process.env.TESSERA_TEST_REDIS_URL ?? "redis://127.0.0.1:6379";

/** A key/channel prefix of its own, so concurrent test files share one Redis without crosstalk. */
export function uniqueRedisPrefix(): string {
  return `tessera-test-${randomBytes(5).toString("hex")}`;
}

/** A plain Redis connection for a test to inspect or disturb the bus. */
export function connectRedis(): Redis {
  return new Redis(redisUrl, { maxRetriesPerRequest: 1 });
}
