import { Redis } from "ioredis";
import type { Bus, ValidatorHeartbeat } from "./bus.js";

export interface RedisBusOptions {
  url: string;
  /** Namespaces every channel and key (TESSERA_REDIS_PREFIX). */
  prefix: string;
  /** Called when a connection reports an error; ioredis reconnects by itself. */
  onError?: (err: Error) => void;
}

function parseHeartbeat(validatorId: string, value: string | null): ValidatorHeartbeat | undefined {
  if (value === null || !/^\d+$/.test(value)) return undefined;
  return { validatorId, appliedSeq: BigInt(value) };
}

/**
 * The production bus. Three connections: commands, change subscription, heartbeat
 * subscription — a subscribed ioredis connection can issue no other commands.
 */
export function createRedisBus(options: RedisBusOptions): Bus {
  const { prefix } = options;
  const changeChannel = `${prefix}:changes`;
  const appliedChannel = `${prefix}:applied`;
  const heartbeatKey = (id: string) => `${prefix}:validator:${id}`;
  const usageKey = `${prefix}:usage`;

  const connect = (name: string, autoResubscribe = true) => {
    // maxRetriesPerRequest: a command issued while Redis is down fails after a
    // bounded wait instead of queueing for ever (publish is best-effort anyway).
    const redis = new Redis(options.url, { connectionName: name, maxRetriesPerRequest: 2, lazyConnect: false, autoResubscribe });
    redis.on("error", (err: Error) => options.onError?.(err));
    return redis;
  };
  const commands = connect(`${prefix}-commands`);
  let changeSubscriber: Redis | undefined;
  let appliedSubscriber: Redis | undefined;

  return {
    async publishChange(bytes) {
      await commands.publish(changeChannel, Buffer.from(bytes));
    },

    async subscribeChanges(listener) {
      // We subscribe on every `ready` ourselves, rather than let ioredis resubscribe, so
      // that onConnected comes only once Redis has confirmed the subscription: from then
      // on every publish reaches us, which is what a validator's freshness relies on.
      const subscriber = connect(`${prefix}-changes`, false);
      changeSubscriber = subscriber;
      let connection = 0;
      let settleFirst: () => void = () => {};
      const first = new Promise<void>((resolve) => (settleFirst = resolve));
      subscriber.on("messageBuffer", (_channel: Buffer, message: Buffer) => listener.onEvent(message));
      subscriber.on("ready", () => {
        const current = ++connection;
        subscriber.subscribe(changeChannel).then(
          () => {
            if (current === connection) listener.onConnected();
            settleFirst();
          },
          (err: Error) => {
            // Usually the connection broke first: `close` follows, and the next `ready` tries again.
            // Otherwise Redis refused (an ACL, say): say so, and carry on as if it were down.
            options.onError?.(err);
            settleFirst();
          },
        );
      });
      subscriber.on("close", () => {
        connection++;
        listener.onDisconnected();
        settleFirst(); // unreachable at start: carry on (validators poll), keep trying
      });
      await first;
    },

    async reportApplied(heartbeat, ttlMs) {
      const seq = heartbeat.appliedSeq.toString();
      await commands
        .multi()
        .set(heartbeatKey(heartbeat.validatorId), seq, "PX", ttlMs)
        .publish(appliedChannel, `${heartbeat.validatorId} ${seq}`)
        .exec();
    },

    async forgetValidator(validatorId) {
      await commands.del(heartbeatKey(validatorId));
    },

    async watchApplied(listener) {
      appliedSubscriber ??= connect(`${prefix}-applied`);
      const subscriber = appliedSubscriber;
      const onMessage = (channel: string, message: string) => {
        if (channel !== appliedChannel) return;
        const space = message.indexOf(" ");
        const heartbeat = parseHeartbeat(message.slice(0, space), message.slice(space + 1));
        if (heartbeat) listener(heartbeat);
      };
      subscriber.on("message", onMessage);
      await subscriber.subscribe(appliedChannel);
      return () => subscriber.off("message", onMessage);
    },

    async liveValidators() {
      const keys: string[] = [];
      let cursor = "0";
      do {
        const [next, batch] = await commands.scan(cursor, "MATCH", heartbeatKey("*"), "COUNT", 1000);
        keys.push(...batch);
        cursor = next;
      } while (cursor !== "0");
      if (keys.length === 0) return [];
      const values = await commands.mget(...keys);
      const idStart = heartbeatKey("").length;
      return keys.flatMap((key, i) => parseHeartbeat(key.slice(idStart), values[i] ?? null) ?? []);
    },

    async pushUsage(bytes) {
      await commands.rpush(usageKey, Buffer.from(bytes));
    },

    async takeUsage(max) {
      const taken = await commands.lpopBuffer(usageKey, max);
      return taken ?? [];
    },

    async close() {
      await Promise.allSettled([commands, changeSubscriber, appliedSubscriber].map((r) => r?.quit()));
    },
  };
}
