import { allScopes, isWellFormedScope, maxScopes } from "@tessera/shared/token/scope";
import { invalidArgument } from "@tessera/shared/errors/tessera-error";

/** Whether a principal's permissions include `scope`. */
export function holdsScope(permissions: readonly string[], scope: string): boolean {
  return permissions.includes(allScopes) || permissions.includes(scope);
}

/**
 * Checks the scopes a token asks for: well formed, no repeats, in the
 * organisation's catalog (when it has one) and held by `holder` (the owner;
 * for org and group tokens, the caller who delegates them).
 * Throws invalid_argument naming the first bad entry.
 */
export function checkTokenScopes(
  scopes: readonly string[],
  catalog: readonly string[],
  holderPermissions: readonly string[],
  holder = "the owner",
  field = "scopes",
): void {
  if (scopes.length > maxScopes) throw invalidArgument(field, `at most ${maxScopes} scopes`);
  const seen = new Set<string>();
  scopes.forEach((scope, i) => {
    const at = `${field}[${i}]`;
    if (!isWellFormedScope(scope)) throw invalidArgument(at, "must look like resource:action (lowercase, at most 100 characters)");
    if (seen.has(scope)) throw invalidArgument(at, `"${scope}" is repeated`);
    seen.add(scope);
    if (catalog.length > 0 && !catalog.includes(scope)) throw invalidArgument(at, `"${scope}" is not in the organisation's scope catalog`);
    if (!holdsScope(holderPermissions, scope)) throw invalidArgument(at, `${holder} does not hold "${scope}"`);
  });
}
