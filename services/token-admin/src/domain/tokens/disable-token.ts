import type { AdminDeps } from "../admin-deps.js";
import type { Caller } from "../access/caller.js";
import { transitionToken, type Transition, type TransitionedToken } from "./transition-token.js";

const disable: Transition = {
  rpc: "DisableToken",
  action: "token.disable",
  done: (token) => token.disabled_at !== null,
  refuse: (token) => (token.revoked_at ? "a revoked token stays revoked" : undefined),
  update: (now, caller) => ({ disabled_at: now, disabled_by: caller.principalId }),
};

const enable: Transition = {
  rpc: "EnableToken",
  action: "token.enable",
  done: (token) => token.disabled_at === null,
  refuse: (token) => (token.revoked_at ? "a revoked token cannot be enabled" : undefined),
  update: () => ({ disabled_at: null, disabled_by: null }),
};

/** Suspends a token until EnableToken (the reversible "revoke" of org and group tokens). Idempotent. */
export function disableToken(deps: AdminDeps, caller: Caller, id: string, awaitValidatorsMs = 0): Promise<TransitionedToken> {
  return transitionToken(deps, caller, id, disable, awaitValidatorsMs);
}

/** Lifts a DisableToken. Idempotent; a revoked token cannot be enabled. */
export function enableToken(deps: AdminDeps, caller: Caller, id: string): Promise<TransitionedToken> {
  return transitionToken(deps, caller, id, enable);
}
