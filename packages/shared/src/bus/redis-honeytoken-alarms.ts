import type { MessageSeal } from "../feed/message-seal.js";
import { maxQueuedAlarms, type HoneytokenAlarmsAdapter } from "./honeytoken-alarms.js";
import type { RedisLink } from "./redis-link.js";

/**
 * A Redis list of sealed alarms, trimmed to the newest `maxQueued`. Sealed
 * because an alarm is audited and announced: whoever can write to Redis must
 * not be able to raise one in a validator's name.
 */
export function createRedisHoneytokenAlarms(link: RedisLink, seal: MessageSeal, maxQueued = maxQueuedAlarms): HoneytokenAlarmsAdapter {
  const key = `${link.prefix}:honeytoken-alarms`;
  return {
    async push(use) {
      await link.commands.multi().rpush(key, seal.seal(use)).ltrim(key, -maxQueued, -1).exec();
    },
    async take(max) {
      const taken = (await link.commands.lpopBuffer(key, max)) ?? [];
      return taken.flatMap((sealed) => seal.open(sealed) ?? []);
    },
  };
}
