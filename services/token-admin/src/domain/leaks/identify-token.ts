import { TesseraError } from "@tessera/shared/errors/tessera-error";
import { findTokenByDigest } from "../../store/leak-store.js";
import { findPrincipal } from "../../store/principal-store.js";
import type { AdminDeps } from "../admin-deps.js";
import { reachOf } from "../access/authorize.js";
import type { Caller } from "../access/caller.js";
import { authorizeOnTokenOf } from "../tokens/token-access.js";
import { tokenFromRow, type Token } from "../tokens/token.js";

export interface IdentifiedToken {
  readonly token: Token;
  readonly ownerName: string;
}

/** One answer for "no such token" and "not yours to see", so a caller cannot probe values it may not identify. */
const noMatch = () => new TesseraError("not_found", "no token you may see matches this value");

/**
 * Says whose a found token value is, its status and last use, without
 * changing anything. Only administrators (of a group, an organisation or the
 * instance) may ask, and that is checked before the value is even parsed;
 * then format and checksum, then one digest and one lookup. A token beyond the
 * caller's reach is not found, exactly like an unknown value.
 */
export async function identifyToken(deps: AdminDeps, caller: Caller, value: string): Promise<IdentifiedToken> {
  if (reachOf(caller, "IdentifyToken") === "none") throw new TesseraError("permission_denied", "only administrators may identify tokens");
  if (deps.tokenFormat.parse(value) === undefined) throw new TesseraError("invalid_argument", `token_value: not a well-formed ${deps.tokenFormat.issuer} token (prefix, length or checksum)`);
  const now = deps.now();
  const row = await findTokenByDigest(deps.db, deps.digest(value), now);
  const owner = row && (await findPrincipal(deps.db, row.owner_id));
  if (!row || !owner) throw noMatch();
  try {
    authorizeOnTokenOf(caller, "IdentifyToken", row.id, row, owner);
  } catch {
    throw noMatch();
  }
  return { token: tokenFromRow(row, now), ownerName: owner.name };
}
