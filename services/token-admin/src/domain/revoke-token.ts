import { tokenChangeRecord } from "@tessera/shared/feed/change-records";
import type { Acknowledgement } from "../bus/validator-acks.js";
import { lockToken, updateToken } from "../store/token-store.js";
import type { AdminDeps } from "./admin-deps.js";
import type { Caller } from "./caller.js";
import { commitChange } from "./commit-change.js";
import { tokenFromRow, type Token } from "./token.js";
import { authorizeOnToken } from "./token-access.js";
import { awaitValidators } from "./await-validators.js";

export interface RevokedToken {
  readonly token: Token;
  /** The feed position validators must reach to refuse the token; undefined if it was already revoked. */
  readonly seq: bigint | undefined;
  /** Set when the caller asked to wait for validators. */
  readonly acknowledgement: Acknowledgement | undefined;
}

/**
 * Permanently revokes a token. The row stays, with revoked_at and revoked_by.
 * Idempotent. With `awaitValidatorsMs`, returns once every live validator has
 * applied the revocation, or when that time is up.
 */
export async function revokeToken(deps: AdminDeps, caller: Caller, id: string, awaitValidatorsMs = 0): Promise<RevokedToken> {
  const now = deps.now();
  const { result, seq } = await commitChange(deps, async (trx, change) => {
    const { token } = await authorizeOnToken(trx, caller, "RevokeToken", id, await lockToken(trx, id));
    if (token.revoked_at) return token;
    const revoked = await updateToken(trx, id, { revoked_at: now, revoked_by: caller.principalId });
    change.feed(tokenChangeRecord(revoked));
    change.audit({
      action: "token.revoke",
      actorId: caller.principalId,
      actorTokenId: caller.tokenId,
      organisationId: revoked.organisation_id,
      tokenId: id,
      principalId: revoked.owner_id,
      source: caller.source,
    });
    return revoked;
  });
  return { token: tokenFromRow(result, now), seq, acknowledgement: await awaitValidators(deps, seq, awaitValidatorsMs) };
}
