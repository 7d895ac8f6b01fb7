import type { AdminDeps } from "../admin-deps.js";
import type { Caller } from "../access/caller.js";
import { principalNames } from "../identities/principal-names.js";
import type { Page } from "../paging/page.js";
import { listTokens, type ListTokensInput } from "./list-tokens.js";
import type { Token } from "./token.js";

/** A page of tokens and the names of the principals they mention. */
export interface NamedTokenPage extends Page<Token> {
  /** By principal id: owners, creators, revokers, disablers. */
  readonly principalNames: ReadonlyMap<string, string>;
}

/**
 * listTokens, plus one lookup for the page's principal names — so a member sees
 * who generated its token even though it may not read that principal itself.
 */
export async function listNamedTokens(deps: AdminDeps, caller: Caller, input: ListTokensInput): Promise<NamedTokenPage> {
  const page = await listTokens(deps, caller, input);
  const names = await principalNames(deps, page.items.flatMap((t) => [t.ownerId, t.createdBy, t.revokedBy, t.disabledBy]));
  return { ...page, principalNames: names };
}
