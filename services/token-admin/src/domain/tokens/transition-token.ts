import type { TokenRow, TokenUpdate } from "@tessera/shared/db/schema";
import { TesseraError } from "@tessera/shared/errors/tessera-error";
import { tokenChangeRecord } from "@tessera/shared/feed/change-records";
import { lockToken, updateToken } from "../../store/token-store.js";
import type { AdminDeps } from "../admin-deps.js";
import type { AdminRpc } from "../access/authorize.js";
import { awaitValidators, type AcknowledgedChange } from "./await-validators.js";
import type { Caller } from "../access/caller.js";
import { commitChange } from "../commit-change.js";
import { tokenFromRow, type Token } from "./token.js";
import { authorizeOnToken } from "./token-access.js";

/** One state change of a token: revoke, disable, enable. */
export interface Transition {
  readonly rpc: AdminRpc;
  /** The audit action, e.g. "token.revoke". */
  readonly action: string;
  /** Already in the target state: nothing is written (the call is idempotent). */
  readonly done: (token: TokenRow) => boolean;
  /** Refuses the change (failed_precondition) with this message, or undefined to allow it. */
  readonly refuse?: (token: TokenRow) => string | undefined;
  readonly update: (now: Date, caller: Caller) => TokenUpdate;
}

export interface TransitionedToken extends AcknowledgedChange {
  readonly token: Token;
}

/** Applies a transition under the token's row lock, with its audit row and feed record, then optionally waits for validators. */
export async function transitionToken(deps: AdminDeps, caller: Caller, id: string, transition: Transition, awaitValidatorsMs = 0): Promise<TransitionedToken> {
  const now = deps.now();
  const { result, seq } = await commitChange(deps, async (trx, change) => {
    const { token } = await authorizeOnToken(trx, caller, transition.rpc, id, await lockToken(trx, id));
    if (transition.done(token)) return token;
    const refusal = transition.refuse?.(token);
    if (refusal) throw new TesseraError("failed_precondition", refusal);
    const updated = await updateToken(trx, id, transition.update(now, caller));
    change.feed(tokenChangeRecord(updated));
    change.audit({
      action: transition.action, actorId: caller.principalId, actorTokenId: caller.tokenId,
      organisationId: updated.organisation_id, tokenId: id, principalId: updated.owner_id, source: caller.source,
    });
    return updated;
  });
  return { token: tokenFromRow(result, now), seq, acknowledgement: await awaitValidators(deps, seq, awaitValidatorsMs) };
}
