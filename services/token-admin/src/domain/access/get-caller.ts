import { TesseraError } from "@tessera/shared/errors/tessera-error";
import { findPrincipal } from "../../store/principal-store.js";
import type { AdminDeps } from "../admin-deps.js";
import type { Caller } from "./caller.js";
import { principalFromRow, type Principal } from "../identities/identities.js";

/** Who the presented credential belongs to, and which token it was. */
export async function getCaller(deps: AdminDeps, caller: Caller): Promise<{ principal: Principal; tokenId: string }> {
  const row = await findPrincipal(deps.db, caller.principalId);
  if (!row) throw new TesseraError("unauthenticated", "invalid or expired token");
  return { principal: principalFromRow(row), tokenId: caller.tokenId };
}
