import type { FeedListener } from "@tessera/shared/bus/bus-messages";

export type { FeedListener };

/** The change feed as a validator uses it: a subscription that may drop, repeat or reorder messages. */
export interface ChangeFeed {
  /** Resolves once subscribed (or once the first attempt failed; it keeps trying). Never rejects. */
  subscribe(listener: FeedListener): Promise<void>;
}
