import type { Decision } from "./decide.js";

/** Where a decision was asked for: the validator's four ways in. */
export type Surface = "grpc" | "ext_authz" | "forward_auth" | "introspect";

/**
 * Told of every decision, on the hot path: must only touch memory (counters,
 * maps), never do I/O or log. Metrics and last-use recording are observers.
 */
export type DecisionObserver = (decision: Decision, surface: Surface, nowMs: number) => void;

/** One observer that calls each of `observers` in turn. */
export function observeAll(...observers: DecisionObserver[]): DecisionObserver {
  return (decision, surface, nowMs) => {
    for (const observe of observers) observe(decision, surface, nowMs);
  };
}
