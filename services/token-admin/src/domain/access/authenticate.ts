import type { Kysely } from "kysely";
import type { Database, PrincipalRow, TokenRow } from "@tessera/shared/db/schema";
import { toBuffer } from "@tessera/shared/db/database";
import { TesseraError } from "@tessera/shared/errors/tessera-error";
import { parseToken } from "@tessera/shared/token/token-format";
import { findOrganisation } from "../../store/organisation-store.js";
import { findPrincipal } from "../../store/principal-store.js";
import { findToken, findTokenByDigest } from "../../store/token-store.js";
import type { AdminDeps } from "../admin-deps.js";
import type { Caller } from "./caller.js";

/** One message for every failure, so a caller learns nothing about a token it does not hold. */
const rejected = () => new TesseraError("unauthenticated", "invalid or expired token");

function usable(token: TokenRow, now: Date): boolean {
  return !token.revoked_at && !token.disabled_at && (!token.expires_at || token.expires_at.getTime() > now.getTime());
}

/** The token's owner if the token, its parent chain and its owner all still stand. */
async function standingOwner(db: Kysely<Database>, token: TokenRow, now: Date): Promise<PrincipalRow | undefined> {
  if (!usable(token, now)) return undefined;
  if (token.parent_token_id) {
    // Exchanged and session tokens live only while their parent does.
    const parent = await findToken(db, token.parent_token_id);
    if (!parent || !usable(parent, now)) return undefined;
  }
  const owner = await findPrincipal(db, token.owner_id);
  return owner && !owner.disabled_at ? owner : undefined;
}

export interface AuthenticateOptions {
  /** Refuse tokens without the admin option (every RPC but ExchangeToken). */
  readonly requireAdminOption: boolean;
  /** Peer address and user agent, kept on the caller for the audit log. */
  readonly source: string;
}

/** Establishes who presented `tokenValue` (the bearer credential), or throws unauthenticated. */
export async function authenticate(deps: AdminDeps, tokenValue: string | undefined, options: AuthenticateOptions): Promise<Caller> {
  if (tokenValue === undefined) throw new TesseraError("unauthenticated", "missing bearer token");
  if (parseToken(tokenValue) === undefined) throw rejected();
  const now = deps.now();
  const digest = deps.digest(tokenValue);
  const token = await findTokenByDigest(deps.db, digest, now);
  const owner = token && (await standingOwner(deps.db, token, now));
  if (!token || !owner) throw rejected();
  // The feature flag governs API tokens; a signed-in session and the built-in
  // admin are exempt, so switching it off can never lock the admins out.
  if (token.kind !== "session" && owner.role !== "admin") {
    const organisation = await findOrganisation(deps.db, owner.organisation_id);
    if (!organisation?.api_tokens_enabled) throw rejected();
  }
  if (options.requireAdminOption && !token.admin && token.kind !== "session") {
    throw new TesseraError("permission_denied", "this token may not call the admin API (it lacks the admin option)");
  }
  return {
    principalId: owner.id,
    organisationId: owner.organisation_id,
    groupId: owner.group_id ?? undefined,
    role: owner.role,
    permissions: owner.permissions,
    tokenId: token.id,
    credentialEndsAt: toBuffer(token.digest).equals(digest) ? undefined : (token.previous_digest_expires_at ?? undefined),
    source: options.source,
  };
}
