import { findPrincipalNames } from "../../store/principal-store.js";
import type { AdminDeps } from "../admin-deps.js";

/** The names of the given principals (empty and repeated ids ignored), in one lookup. */
export function principalNames(deps: AdminDeps, ids: Iterable<string | null | undefined>): Promise<Map<string, string>> {
  const wanted = new Set<string>();
  for (const id of ids) if (id) wanted.add(id);
  return findPrincipalNames(deps.db, [...wanted]);
}
