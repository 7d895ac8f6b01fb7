import type { MessageSeal } from "../feed/message-seal.js";
import type { FeedListener } from "./bus-messages.js";
import { changeMessage, deliverFeedMessage, heartbeatMessage, type ChangeFeedAdapter } from "./change-feed.js";
import type { RedisLink } from "./redis-link.js";

export interface RedisChangeFeedOptions {
  /**
   * A subscription that delivers nothing for this long is reconnected: heartbeats come
   * every second, so silence means a connection dead without closing (a vanished NAT
   * entry, a half-open socket). Reconnecting heals it; freshness never relied on it.
   */
  readonly silenceMs?: number;
}

/** The change feed on one Redis pub/sub channel, every message sealed. */
export function createRedisChangeFeed(link: RedisLink, seal: MessageSeal, options: RedisChangeFeedOptions = {}): ChangeFeedAdapter {
  const channel = `${link.prefix}:changes`;
  return {
    async publishChange(event) {
      await link.commands.publish(channel, seal.seal(changeMessage(event)));
    },

    async publishHeartbeat(heartbeat) {
      await link.commands.publish(channel, seal.seal(heartbeatMessage(heartbeat)));
    },

    async subscribe(listener: FeedListener) {
      // We subscribe on every `ready` ourselves, rather than let ioredis resubscribe, so
      // that onConnected comes only once Redis has confirmed the subscription: from then
      // on every publish reaches us, which is what a validator's catch-up relies on.
      const subscriber = link.subscriber("changes");
      let connection = 0;
      let settleFirst: () => void = () => {};
      const first = new Promise<void>((resolve) => (settleFirst = resolve));
      let silence: NodeJS.Timeout | undefined;
      const heard = () => {
        if (options.silenceMs === undefined) return;
        clearTimeout(silence);
        silence = setTimeout(() => subscriber.disconnect(true), options.silenceMs);
        silence.unref();
      };
      subscriber.on("messageBuffer", (_channel: Buffer, sealed: Buffer) => {
        heard();
        const payload = seal.open(sealed);
        if (payload) deliverFeedMessage(payload, listener);
        else listener.onRejected();
      });
      subscriber.on("ready", () => {
        const current = ++connection;
        subscriber.subscribe(channel).then(
          () => {
            if (current === connection) {
              heard();
              listener.onConnected();
            }
            settleFirst();
          },
          // Usually the connection broke first: `close` follows, and the next `ready` tries again.
          // Otherwise Redis refused (an ACL, say): carry on as if it were down.
          () => settleFirst(),
        );
      });
      subscriber.on("close", () => {
        connection++;
        clearTimeout(silence);
        listener.onDisconnected();
        settleFirst(); // unreachable at start: carry on (validators poll), keep trying
      });
      await first;
    },
  };
}
