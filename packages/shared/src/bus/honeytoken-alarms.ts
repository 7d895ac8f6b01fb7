/**
 * Honeytoken presentations from validators to token-admin: validators push one
 * serialized HoneytokenUse per presentation, at once; admins take them. Its own
 * queue (not the usage batches) so an alarm waits for no flush interval.
 */
export interface HoneytokenAlarmsAdapter {
  /** Queues a serialized HoneytokenUse. The queue keeps the newest `maxQueued`; older ones are dropped. */
  push(use: Uint8Array): Promise<void>;
  /** Takes up to `max` queued alarms, oldest first; each is taken by exactly one admin. */
  take(max: number): Promise<Uint8Array[]>;
}

/** How many alarms wait at most: a flood of presentations must not fill Redis or memory. */
export const maxQueuedAlarms = 10_000;
