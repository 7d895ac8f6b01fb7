import type { MessageSeal } from "../feed/message-seal.js";
import type { RedisLink } from "./redis-link.js";
import type { UsageQueueAdapter } from "./usage-queue.js";

/**
 * A Redis list of sealed batches. Sealed because last use decides what counts as
 * inactive: a forged batch must not keep an abandoned token alive.
 */
export function createRedisUsageQueue(link: RedisLink, seal: MessageSeal): UsageQueueAdapter {
  const key = `${link.prefix}:usage`;
  return {
    async push(batch) {
      await link.commands.rpush(key, seal.seal(batch));
    },
    async take(max) {
      const taken = (await link.commands.lpopBuffer(key, max)) ?? [];
      return taken.flatMap((sealed) => seal.open(sealed) ?? []);
    },
  };
}
