import type { AdminDeps } from "../admin-deps.js";
import type { Caller } from "../access/caller.js";
import { transitionToken, type Transition, type TransitionedToken } from "./transition-token.js";

const revoke: Transition = {
  rpc: "RevokeToken",
  action: "token.revoke",
  event: "token.revoked",
  done: (token) => token.revoked_at !== null,
  update: (now, caller) => ({ revoked_at: now, revoked_by: caller.principalId, revocation_reason: "manual" }),
};

/**
 * Permanently revokes a token ("remove" in some products): the row stays with
 * revoked_at and revoked_by and shows as REVOKED. Idempotent. With
 * `awaitValidatorsMs`, returns once every live validator has applied it, or when that time is up.
 */
export function revokeToken(deps: AdminDeps, caller: Caller, id: string, awaitValidatorsMs = 0): Promise<TransitionedToken> {
  return transitionToken(deps, caller, id, revoke, awaitValidatorsMs);
}
