import type { Kysely } from "kysely";
import type { Database, PrincipalRow, TokenRow } from "@tessera/shared/db/schema";
import { TesseraError } from "@tessera/shared/errors/tessera-error";
import { findPrincipal } from "../../store/principal-store.js";
import { authorize, type AdminRpc, type Target } from "../access/authorize.js";
import type { Caller } from "../access/caller.js";
import { assertMayActFor } from "../access/grants.js";

/** Where a token sits for authorization: its organisation, and its owner's current group. */
export function tokenTarget(token: TokenRow, owner: PrincipalRow): Target {
  return { organisationId: token.organisation_id, groupId: owner.group_id, principalId: owner.id };
}

/**
 * Authorises `rpc` on a token and its owner, both already read (or locked) by
 * the caller's transaction. A missing token and one the caller may not see look
 * the same. Beyond reading, the caller must also rank high enough to act for the
 * owner, so an org admin cannot revoke or take over the built-in admin's token.
 */
export function authorizeOnTokenOf(
  caller: Caller,
  rpc: AdminRpc,
  id: string,
  token: TokenRow | undefined,
  owner: PrincipalRow | undefined,
): { token: TokenRow; owner: PrincipalRow } {
  if (!token || !owner) throw new TesseraError("not_found", `token ${id} not found`);
  authorize(caller, rpc, tokenTarget(token, owner), "GetToken", `token ${id}`);
  if (rpc !== "GetToken") assertMayActFor(caller, owner, `token ${id}`);
  return { token, owner };
}

/** authorizeOnTokenOf, reading the owner. */
export async function authorizeOnToken(
  db: Kysely<Database>,
  caller: Caller,
  rpc: AdminRpc,
  id: string,
  token: TokenRow | undefined,
): Promise<{ token: TokenRow; owner: PrincipalRow }> {
  return authorizeOnTokenOf(caller, rpc, id, token, token && (await findPrincipal(db, token.owner_id)));
}
