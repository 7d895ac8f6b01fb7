import { readFeedHead } from "../../store/change-log-store.js";
import type { AdminDeps } from "../admin-deps.js";

/** Which validators had applied a change when waiting ended. */
export interface Acknowledgement {
  /** Reachable validators that had applied it. */
  readonly applied: number;
  /** Reachable validators. */
  readonly live: number;
  /** Validators that stopped reporting without leaving, within their staleness bound. */
  readonly unreachable: number;
  /** Every reachable validator applied it and none is unreachable. */
  readonly complete: boolean;
  readonly waitedMs: number;
  readonly appliedValidatorIds: readonly string[];
  readonly pendingValidatorIds: readonly string[];
}

export interface ValidatorAcks {
  /** Waits until every listed validator has applied `seq`, or `timeoutMs` passes — a deadline, kept even if Redis hangs. Never throws. */
  waitFor(seq: bigint, timeoutMs: number): Promise<Acknowledgement>;
  close(): void;
}

/** The outcome every invalidating write reports. */
export interface AcknowledgedChange {
  /** The feed position of the change; undefined if nothing changed. */
  readonly seq: bigint | undefined;
  /** Set when the caller asked to wait for validators. */
  readonly acknowledgement: Acknowledgement | undefined;
}

/**
 * After an invalidating write: waits up to `waitMs` for every live validator to
 * apply `seq`. A write that changed nothing (seq undefined, e.g. revoking twice)
 * waits for the current feed head, which covers the earlier change. No wait asked: undefined.
 */
export async function awaitValidators(deps: AdminDeps, seq: bigint | undefined, waitMs: number): Promise<Acknowledgement | undefined> {
  if (waitMs <= 0) return undefined;
  return deps.acks.waitFor(seq ?? (await readFeedHead(deps.db)), waitMs);
}
