/** Last-use batches from validators to token-admin: validators push, admins take. */
export interface UsageQueueAdapter {
  /** Queues a serialized UsageBatch. */
  push(batch: Uint8Array): Promise<void>;
  /** Takes up to `max` queued batches; each is taken by exactly one admin. */
  take(max: number): Promise<Uint8Array[]>;
}
