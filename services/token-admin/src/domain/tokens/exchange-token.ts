import { TesseraError, invalidArgument } from "@tessera/shared/errors/tessera-error";
import { findOrganisation } from "../../store/organisation-store.js";
import { findToken } from "../../store/token-store.js";
import type { AdminDeps } from "../admin-deps.js";
import { authorize } from "../access/authorize.js";
import type { Caller } from "../access/caller.js";
import { commitChange } from "../commit-change.js";
import { issueToken } from "./issue-token.js";
import { checkTokenScopes } from "./scopes.js";
import { tokenFromRow, type Token } from "./token.js";

export interface ExchangedToken {
  readonly token: Token;
  /** The short-lived bearer token: shown once. */
  readonly value: string;
}

/**
 * Exchanges the personal token the caller presented for a short-lived bearer
 * token (prefix tsr_bat). It carries at most the parent's scopes, ends no later
 * than the parent (or than the presented value, when that is a regenerated
 * token's previous one), dies the moment the parent is revoked, disabled,
 * deleted or expires, or its owner is disabled — validators check the parent on
 * every use — and is revoked when the parent is regenerated.
 */
export async function exchangeToken(deps: AdminDeps, caller: Caller, input: { ttlSeconds: number | undefined; scopes: readonly string[] }): Promise<ExchangedToken> {
  const now = deps.now();
  authorize(caller, "ExchangeToken", { organisationId: caller.organisationId, groupId: caller.groupId ?? null, principalId: caller.principalId }, "ExchangeToken", "token");
  const { result } = await commitChange(deps, async (trx, change) => {
    const parent = await findToken(trx, caller.tokenId);
    if (!parent) throw new TesseraError("unauthenticated", "invalid or expired token");
    if (parent.kind !== "personal") throw new TesseraError("failed_precondition", "only personal tokens can be exchanged");
    const organisation = await findOrganisation(trx, parent.organisation_id);
    if (!organisation?.api_tokens_enabled) throw new TesseraError("failed_precondition", "API tokens are switched off for this organisation");
    const maxTtl = organisation.max_exchange_ttl_seconds;
    const ttl = input.ttlSeconds ?? maxTtl;
    if (ttl > maxTtl) throw invalidArgument("ttl", `must be at most ${maxTtl} s (the organisation's max_exchange_ttl)`);
    checkTokenScopes(input.scopes, [], parent.scopes, "the presented token");
    // Never past the parent's expiry, nor past the grace period of a replaced value it was exchanged with.
    const ends = [now.getTime() + ttl * 1000, parent.expires_at?.getTime(), caller.credentialEndsAt?.getTime()];
    const expiresAt = new Date(Math.min(...ends.filter((ms): ms is number => ms !== undefined)));
    const issued = await issueToken(trx, change, deps, {
      organisationId: parent.organisation_id,
      ownerId: parent.owner_id,
      groupId: parent.group_id,
      name: `${parent.name} (exchanged)`.slice(0, 100),
      level: parent.level,
      kind: "exchanged",
      scopes: input.scopes.length > 0 ? input.scopes : parent.scopes,
      // Never the admin option: a narrowed, short-lived token must not be able to mint long-lived ones.
      admin: false,
      createdBy: caller.principalId,
      createdAt: now,
      expiresAt,
      parent: { id: parent.id, digest: parent.digest },
    });
    change.audit({
      action: "token.exchange", actorId: caller.principalId, actorTokenId: caller.tokenId, organisationId: parent.organisation_id,
      tokenId: issued.row.id, principalId: parent.owner_id, source: caller.source, details: { parent_token_id: parent.id, ttl_seconds: ttl },
    });
    return issued;
  });
  return { token: tokenFromRow(result.row, now), value: result.value };
}
