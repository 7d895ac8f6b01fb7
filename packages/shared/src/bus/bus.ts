/** What a change-feed subscriber is told. */
export interface ChangeListener {
  /** A published ChangeEvent, serialized. May arrive twice, late, or not at all. */
  onEvent(bytes: Uint8Array): void;
  /** The subscription is (again) live: events published from now on arrive; anything published while it was down is lost. */
  onConnected(): void;
  /** The subscription broke; events may be lost until onConnected. */
  onDisconnected(): void;
}

/** A validator's last heartbeat: the feed position it has applied. */
export interface ValidatorHeartbeat {
  validatorId: string;
  appliedSeq: bigint;
}

/**
 * The messaging the services share: Redis in production, in-process when
 * embedded. Pub/sub is at-most-once: nothing here may be the only copy of a change.
 */
export interface Bus {
  /** Publishes a committed ChangeEvent. Best effort: validators also poll change_log. */
  publishChange(bytes: Uint8Array): Promise<void>;
  /**
   * Resolves once subscribed, so a caller can subscribe before reading a snapshot;
   * or, if the bus is unreachable, once the first attempt failed: the subscription
   * then keeps trying, and `onConnected` says when it holds. Never rejects.
   */
  subscribeChanges(listener: ChangeListener): Promise<void>;
  /** Records that a validator has applied `appliedSeq`; forgotten after `ttlMs` without a refresh. */
  reportApplied(heartbeat: ValidatorHeartbeat, ttlMs: number): Promise<void>;
  /** Forgets a validator at once (it is leaving), so nothing waits for its acknowledgement. */
  forgetValidator(validatorId: string): Promise<void>;
  /** Calls `listener` on every heartbeat; returns the unsubscribe function. */
  watchApplied(listener: (heartbeat: ValidatorHeartbeat) => void): Promise<() => void>;
  /** The validators whose heartbeat has not expired. */
  liveValidators(): Promise<ValidatorHeartbeat[]>;
  /** Queues a serialized UsageBatch for the admin side. */
  pushUsage(bytes: Uint8Array): Promise<void>;
  /** Takes up to `max` queued UsageBatches (each taken by exactly one admin). */
  takeUsage(max: number): Promise<Uint8Array[]>;
  close(): Promise<void>;
}
