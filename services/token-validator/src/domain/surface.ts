import type { Decision } from "./decide.js";

/** Where a decision was asked for: the validator's four ways in. */
export type Surface = "grpc" | "ext_authz" | "forward_auth" | "introspect";

/**
 * Where a request came from, as its surface knows it. Each surface reuses one
 * object (answering is synchronous), and `address` may be computed when read:
 * observers read it only for tokens that were accepted.
 */
export interface UseOrigin {
  /** The client's address; "" when unknown. */
  readonly address: string;
  /** The route asked about, as received (query included); "" when none. */
  readonly route: string;
}

/** An origin with nothing known: introspection of a value, tests. */
export const unknownOrigin: UseOrigin = Object.freeze({ address: "", route: "" });

/**
 * Told of every decision, on the hot path: must only touch memory (counters,
 * maps), never do I/O or log. Metrics and last-use recording are observers.
 */
export type DecisionObserver = (decision: Decision, surface: Surface, nowMs: number, origin: UseOrigin) => void;

/** One observer that calls each of `observers` in turn. */
export function observeAll(...observers: DecisionObserver[]): DecisionObserver {
  return (decision, surface, nowMs, origin) => {
    for (const observe of observers) observe(decision, surface, nowMs, origin);
  };
}
