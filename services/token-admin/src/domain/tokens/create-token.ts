import { randomBytes } from "node:crypto";
import type { Transaction } from "kysely";
import type { Database, PrincipalRow, TokenLevelName } from "@tessera/shared/db/schema";
import { TesseraError, invalidArgument } from "@tessera/shared/errors/tessera-error";
import { principalChangeRecord } from "@tessera/shared/feed/change-records";
import { findGroup } from "../../store/group-store.js";
import { findOrganisation } from "../../store/organisation-store.js";
import { insertPrincipal, lockPrincipalSharedWithSettings } from "../../store/principal-store.js";
import type { AdminDeps } from "../admin-deps.js";
import { authorize } from "../access/authorize.js";
import type { Caller } from "../access/caller.js";
import { commitChange, type PendingChange } from "../commit-change.js";
import { resolveExpiry, type ExpiryRequest } from "./expiry.js";
import { organisationTarget, groupTarget, principalTarget } from "../identities/identities.js";
import { issueToken } from "./issue-token.js";
import { policyFromRow, type OrganisationPolicy } from "../identities/organisation-policy.js";
import { assertMayActFor, assertMayGrantScopes } from "../access/grants.js";
import { checkTokenScopes } from "./scopes.js";
import { tokenFromRow, type Token } from "./token.js";

export interface CreateTokenInput {
  readonly name: string;
  readonly scopes: readonly string[];
  /** USER level: the owner. Undefined: the caller. */
  readonly ownerId: string | undefined;
  /** Undefined: the organisation's default expiry. */
  readonly expiry: ExpiryRequest | undefined;
  readonly level: TokenLevelName;
  /** GROUP level: the group. */
  readonly groupId: string | undefined;
  /** ORG level: the organisation. Undefined: the caller's. */
  readonly organisationId: string | undefined;
  /** May call the admin API with the owner's role; for GROUP/ORG tokens, the owner gets the level's admin role. */
  readonly admin: boolean;
  /** A decoy (honeytoken): refused everywhere as unknown, every presentation reported. */
  readonly honeytoken?: boolean | undefined;
}

export interface CreatedToken {
  readonly token: Token;
  /** The token value: shown to the caller once, never stored. */
  readonly value: string;
  readonly seq: bigint;
}

/** Who will own the new token, once authorised, and under which policy. */
interface Ownership {
  readonly owner: PrincipalRow;
  readonly policy: OrganisationPolicy;
  readonly groupId: string | null;
}

async function policyOf(trx: Transaction<Database>, organisationId: string): Promise<OrganisationPolicy> {
  const organisation = await findOrganisation(trx, organisationId);
  if (!organisation) throw new TesseraError("not_found", `organisation ${organisationId} not found`);
  return policyFromRow(organisation);
}

/**
 * USER level: an existing principal the caller may act for; the scopes must be
 * ones the owner holds and, for another principal's token, the caller too.
 */
async function userOwnership(trx: Transaction<Database>, caller: Caller, input: CreateTokenInput): Promise<Ownership> {
  if (input.groupId) throw invalidArgument("group_id", "only for GROUP tokens");
  if (input.organisationId) throw invalidArgument("organisation_id", "only for ORG tokens");
  const ownerId = input.ownerId ?? caller.principalId;
  // Shared lock: a concurrent change to the owner waits, so the token never
  // outlives a permission check it has already passed.
  const locked = await lockPrincipalSharedWithSettings(trx, ownerId);
  if (!locked) throw new TesseraError("not_found", `owner ${ownerId} not found`);
  const owner = locked.principal;
  authorize(caller, "CreateToken", principalTarget(owner), "GetPrincipal", `owner ${ownerId}`);
  assertMayActFor(caller, owner, "owner_id");
  const policy = policyFromRow(locked.settings);
  if (owner.disabled_at) throw new TesseraError("failed_precondition", "the owner is disabled");
  if (policy.technicalUsersOnly && owner.kind !== "technical") {
    throw new TesseraError("failed_precondition", "this organisation issues tokens to technical users only (active ones)");
  }
  checkTokenScopes(input.scopes, policy.scopeCatalog, owner.permissions);
  if (owner.id !== caller.principalId) assertMayGrantScopes(caller, input.scopes, "scopes");
  return { owner, policy, groupId: owner.group_id };
}

/**
 * GROUP and ORG level: the system creates a technical principal to own the
 * token, holding its scopes and the level's role (its admin role when asked).
 * The caller delegates the scopes, so it must hold them. Reaching the group or
 * organisation already means the caller has at least that admin role, so it may
 * pass it on.
 */
async function technicalOwnership(trx: Transaction<Database>, change: PendingChange, caller: Caller, input: CreateTokenInput, now: Date): Promise<Ownership> {
  if (input.ownerId) throw invalidArgument("owner_id", "GROUP and ORG tokens are owned by a technical user the system creates");
  let organisationId: string;
  let groupId: string | null = null;
  if (input.level === "group") {
    if (input.organisationId) throw invalidArgument("organisation_id", "only for ORG tokens");
    if (!input.groupId) throw invalidArgument("group_id", "is required for a GROUP token");
    const group = await findGroup(trx, input.groupId);
    if (!group) throw new TesseraError("not_found", `group ${input.groupId} not found`);
    authorize(caller, "CreateToken", groupTarget(group), "GetGroup", `group ${input.groupId}`);
    organisationId = group.organisation_id;
    groupId = group.id;
  } else {
    if (input.groupId) throw invalidArgument("group_id", "only for GROUP tokens");
    organisationId = input.organisationId ?? caller.organisationId;
    await policyOf(trx, organisationId); // not_found before permission_denied for an unknown organisation
    authorize(caller, "CreateToken", organisationTarget(organisationId), "GetOrganisation", `organisation ${organisationId}`);
  }
  const policy = await policyOf(trx, organisationId);
  checkTokenScopes(input.scopes, policy.scopeCatalog, caller.permissions, "you");
  const owner = await insertPrincipal(trx, {
    organisation_id: organisationId,
    group_id: groupId,
    name: `${input.level}-token-${randomBytes(6).toString("hex")}`,
    kind: "technical",
    role: input.admin ? (input.level === "group" ? "group_admin" : "org_admin") : "member",
    permissions: [...input.scopes],
    password_hash: null,
    disabled_at: null,
    system_managed: true,
    created_by: caller.principalId,
    created_at: now,
  });
  change.feed(principalChangeRecord(owner));
  return { owner, policy, groupId };
}

/** Creates a token: personal (for the caller or a principal it manages), or for a group or organisation. */
export async function createToken(deps: AdminDeps, caller: Caller, input: CreateTokenInput): Promise<CreatedToken> {
  const now = deps.now();
  const { result, seq } = await commitChange(deps, async (trx, change) => {
    const { owner, policy, groupId } = input.level === "user" ? await userOwnership(trx, caller, input) : await technicalOwnership(trx, change, caller, input, now);
    if (!policy.apiTokensEnabled) throw new TesseraError("failed_precondition", "API tokens are switched off for this organisation");
    const expiresAt = resolveExpiry(input.expiry, policy, now);
    const issued = await issueToken(trx, change, deps, {
      organisationId: owner.organisation_id,
      ownerId: owner.id,
      groupId,
      name: input.name,
      level: input.level,
      kind: "personal",
      scopes: input.scopes,
      admin: input.admin,
      createdBy: caller.principalId,
      createdAt: now,
      expiresAt,
      honeytoken: input.honeytoken ?? false,
    });
    change.audit({
      action: "token.create", actorId: caller.principalId, actorTokenId: caller.tokenId, organisationId: owner.organisation_id,
      tokenId: issued.row.id, principalId: owner.id, source: caller.source,
      details: { name: input.name, level: input.level, scopes: input.scopes, admin: input.admin, expires_at: expiresAt?.toISOString() ?? null, ...(input.honeytoken ? { honeytoken: true } : {}) },
    });
    change.announce({ type: "token.created", organisationId: owner.organisation_id, token: issued.row, actorId: caller.principalId });
    return issued;
  });
  return { token: tokenFromRow(result.row, now), value: result.value, seq: seq! };
}
