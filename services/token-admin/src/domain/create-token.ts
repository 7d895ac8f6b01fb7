import { TesseraError } from "@tessera/shared/errors/tessera-error";
import { findOrganisation } from "../store/organisation-store.js";
import { lockPrincipalShared } from "../store/principal-store.js";
import type { AdminDeps } from "./admin-deps.js";
import { authorize } from "./authorize.js";
import type { Caller } from "./caller.js";
import { commitChange } from "./commit-change.js";
import { resolveExpiry, type ExpiryRequest } from "./expiry.js";
import { issueToken } from "./issue-token.js";
import { policyFromRow } from "./organisation-policy.js";
import { checkTokenScopes } from "./scopes.js";
import { tokenFromRow, type Token } from "./token.js";

export interface CreateTokenInput {
  readonly name: string;
  readonly scopes: readonly string[];
  /** Undefined: the caller. */
  readonly ownerId: string | undefined;
  /** Undefined: the organisation's default expiry. */
  readonly expiry: ExpiryRequest | undefined;
}

export interface CreatedToken {
  readonly token: Token;
  /** The token value: shown to the caller once, never stored. */
  readonly value: string;
  readonly seq: bigint;
}

/** Creates a personal token for the caller or for a principal the caller manages. */
export async function createToken(deps: AdminDeps, caller: Caller, input: CreateTokenInput): Promise<CreatedToken> {
  const ownerId = input.ownerId ?? caller.principalId;
  const now = deps.now();
  const { result, seq } = await commitChange(deps, async (trx, change) => {
    // Shared lock: a concurrent change to the owner waits, so the token never
    // outlives a permission check it has already passed.
    const owner = await lockPrincipalShared(trx, ownerId);
    if (!owner) throw new TesseraError("not_found", `owner ${ownerId} not found`);
    authorize(caller, "CreateToken", { organisationId: owner.organisation_id, groupId: owner.group_id, principalId: owner.id }, "CreateToken", `owner ${ownerId}`);
    const organisation = await findOrganisation(trx, owner.organisation_id);
    if (!organisation) throw new TesseraError("not_found", `owner ${ownerId} not found`);
    const policy = policyFromRow(organisation);
    if (!policy.apiTokensEnabled) throw new TesseraError("failed_precondition", "API tokens are switched off for this organisation");
    if (owner.disabled_at) throw new TesseraError("failed_precondition", "the owner is disabled");
    if (policy.technicalUsersOnly && owner.kind !== "technical") {
      throw new TesseraError("failed_precondition", "this organisation issues tokens to technical users only");
    }
    checkTokenScopes(input.scopes, policy.scopeCatalog, owner.permissions);
    const expiresAt = resolveExpiry(input.expiry, policy, now);
    const issued = await issueToken(trx, change, deps.digest, {
      organisationId: owner.organisation_id,
      ownerId: owner.id,
      groupId: owner.group_id,
      name: input.name,
      level: "user",
      kind: "personal",
      scopes: input.scopes,
      admin: false,
      createdBy: caller.principalId,
      createdAt: now,
      expiresAt,
    });
    change.audit({
      action: "token.create",
      actorId: caller.principalId,
      actorTokenId: caller.tokenId,
      organisationId: owner.organisation_id,
      tokenId: issued.row.id,
      principalId: owner.id,
      source: caller.source,
      details: { name: input.name, scopes: input.scopes, expires_at: expiresAt?.toISOString() ?? null },
    });
    return issued;
  });
  return { token: tokenFromRow(result.row, now), value: result.value, seq: seq! };
}
