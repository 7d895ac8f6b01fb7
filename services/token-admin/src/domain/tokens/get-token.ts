import { findToken } from "../../store/token-store.js";
import type { AdminDeps } from "../admin-deps.js";
import type { Caller } from "../access/caller.js";
import { tokenFromRow, type Token } from "./token.js";
import { authorizeOnToken } from "./token-access.js";

/** A token's record; not_found if it does not exist or the caller may not see it. */
export async function getToken(deps: AdminDeps, caller: Caller, id: string): Promise<Token> {
  const { token } = await authorizeOnToken(deps.db, caller, "GetToken", id, await findToken(deps.db, id));
  return tokenFromRow(token, deps.now());
}
