import { findToken } from "../../store/token-store.js";
import { findUseSources } from "../../store/use-source-store.js";
import type { AdminDeps } from "../admin-deps.js";
import type { Caller } from "../access/caller.js";
import { tokenFromRow, type Token } from "./token.js";
import { authorizeOnToken } from "./token-access.js";

/** A token's record; not_found if it does not exist or the caller may not see it. */
/** Sources shown at most (the store keeps TESSERA_USAGE_SOURCES_PER_TOKEN, at most 100). */
const maxSourcesShown = 100;

/** A token's record with where it was used from; not_found if it does not exist or the caller may not see it. */
export async function getToken(deps: AdminDeps, caller: Caller, id: string): Promise<Token> {
  const { token } = await authorizeOnToken(deps.db, caller, "GetToken", id, await findToken(deps.db, id));
  const sources = await findUseSources(deps.db, id, maxSourcesShown);
  return {
    ...tokenFromRow(token, deps.now()),
    useSources: sources.map(({ tokenId: _, ...source }) => source),
  };
}
