import type { FeedListener } from "./bus-messages.js";
import { changeMessage, deliverFeedMessage, heartbeatMessage, type ChangeFeedAdapter } from "./change-feed.js";

/**
 * The change feed inside one process (embedded mode): same contract as Redis, no
 * network, so nothing to seal. Deliveries are asynchronous, as over a socket, and
 * go through the same encoding.
 */
export function createMemoryChangeFeed(): ChangeFeedAdapter & { close(): void } {
  const listeners = new Set<FeedListener>();
  const deliver = (payload: Uint8Array) =>
    queueMicrotask(() => {
      for (const listener of listeners) deliverFeedMessage(payload, listener);
    });
  return {
    async publishChange(event) {
      deliver(changeMessage(event));
    },
    async publishHeartbeat(heartbeat) {
      deliver(heartbeatMessage(heartbeat));
    },
    async subscribe(listener) {
      listeners.add(listener);
      queueMicrotask(() => listener.onConnected());
    },
    close() {
      listeners.clear();
    },
  };
}
