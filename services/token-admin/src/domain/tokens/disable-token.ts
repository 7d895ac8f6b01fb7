import type { AdminDeps } from "../admin-deps.js";
import type { Caller } from "../access/caller.js";
import { invalidArgument } from "@tessera/shared/errors/tessera-error";
import { transitionToken, transitionTokens, type Transition, type TransitionedToken, type TransitionedTokens } from "./transition-token.js";

const disable: Transition = {
  rpc: "DisableToken",
  action: "token.disable",
  event: "token.disabled",
  done: (token) => token.disabled_at !== null,
  refuse: (token) => (token.revoked_at ? "a revoked token stays revoked" : undefined),
  update: (now, caller) => ({ disabled_at: now, disabled_by: caller.principalId }),
};

const enable: Transition = {
  rpc: "EnableToken",
  action: "token.enable",
  event: "token.enabled",
  done: (token) => token.disabled_at === null,
  refuse: (token) => (token.revoked_at ? "a revoked token cannot be enabled" : undefined),
  update: () => ({ disabled_at: null, disabled_by: null }),
};

/** Suspends a token until EnableToken (the reversible "revoke" of org and group tokens). Idempotent. */
export function disableToken(deps: AdminDeps, caller: Caller, id: string, awaitValidatorsMs = 0): Promise<TransitionedToken> {
  return transitionToken(deps, caller, id, disable, awaitValidatorsMs);
}

/** Suspends several tokens at once, all or nothing (the console's bulk disable). */
export function disableTokens(deps: AdminDeps, caller: Caller, ids: readonly string[], awaitValidatorsMs = 0): Promise<TransitionedTokens> {
  if (ids.length === 0) throw invalidArgument("token_ids", "at least one id");
  return transitionTokens(deps, caller, ids, { ...disable, rpc: "DisableTokens" }, awaitValidatorsMs);
}

/** Lifts a DisableToken. Idempotent; a revoked token cannot be enabled. */
export function enableToken(deps: AdminDeps, caller: Caller, id: string): Promise<TransitionedToken> {
  return transitionToken(deps, caller, id, enable);
}
