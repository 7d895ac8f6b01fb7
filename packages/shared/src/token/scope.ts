/** A scope: lowercase words joined by ":" (e.g. `orders:read`), at most 100 characters. */
export const scopePattern = /^[a-z][a-z0-9_.-]*(?::[a-z][a-z0-9_.-]*)*$/;
export const maxScopeLength = 100;
/** The most scopes one token or principal may carry. */
export const maxScopes = 64;

/** A principal permission that stands for every scope (the built-in admin holds it). */
export const allScopes = "*";

export function isWellFormedScope(scope: string): boolean {
  return scope.length <= maxScopeLength && scopePattern.test(scope);
}
