import type { AuditRow } from "@tessera/shared/db/schema";
import { findTokenNames } from "../../store/token-store.js";
import type { AdminDeps } from "../admin-deps.js";
import type { Caller } from "../access/caller.js";
import { principalNames } from "../identities/principal-names.js";
import type { Page } from "../paging/page.js";
import { listAuditEvents, type ListAuditEventsInput } from "./list-audit-events.js";

/** An audit event with the names of who acted and on what, as they are now. */
export interface NamedAuditEvent {
  readonly row: AuditRow;
  readonly actorName: string | undefined;
  readonly principalName: string | undefined;
  readonly tokenName: string | undefined;
}

/**
 * listAuditEvents, then the page's names: one lookup for all its principal
 * ids and one for its token ids, after the page query and whatever its size.
 */
export async function listNamedAuditEvents(deps: AdminDeps, caller: Caller, input: ListAuditEventsInput): Promise<Page<NamedAuditEvent>> {
  const page = await listAuditEvents(deps, caller, input);
  const tokenIds = [...new Set(page.items.flatMap((row) => (row.token_id ? [row.token_id] : [])))];
  const [principals, tokens] = await Promise.all([
    principalNames(deps, page.items.flatMap((row) => [row.actor_id, row.principal_id])),
    findTokenNames(deps.db, tokenIds),
  ]);
  return {
    nextPageToken: page.nextPageToken,
    items: page.items.map((row) => ({
      row,
      actorName: row.actor_id ? principals.get(row.actor_id) : undefined,
      principalName: row.principal_id ? principals.get(row.principal_id) : undefined,
      tokenName: row.token_id ? tokens.get(row.token_id) : undefined,
    })),
  };
}
