import type { Transaction } from "kysely";
import type { Database } from "@tessera/shared/db/schema";

/** One line of who did what, when and from where. Never a token value or password. */
export interface AuditEntry {
  action: string;
  actorId: string | null;
  actorTokenId: string | null;
  organisationId: string | null;
  tokenId?: string | null;
  principalId?: string | null;
  source: string | null;
  details?: Record<string, unknown>;
}

/** Inside the transaction whose change it records, so the two commit together or not at all. */
export async function appendAudit(trx: Transaction<Database>, entry: AuditEntry, at: Date): Promise<void> {
  await trx
    .insertInto("audit_log")
    .values({
      at,
      action: entry.action,
      actor_id: entry.actorId,
      actor_token_id: entry.actorTokenId,
      organisation_id: entry.organisationId,
      token_id: entry.tokenId ?? null,
      principal_id: entry.principalId ?? null,
      source: entry.source,
      details: JSON.stringify(entry.details ?? {}),
    })
    .execute();
}
