import { sql, type Kysely, type Transaction } from "kysely";
import type { AuditRow, Database } from "@tessera/shared/db/schema";

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

export interface AuditFilter {
  actorId?: string | undefined;
  tokenId?: string | undefined;
  organisationId?: string | undefined;
  principalId?: string | undefined;
  action?: string | undefined;
  /** Inclusive. */
  from?: Date | undefined;
  /** Exclusive. */
  until?: Date | undefined;
  /** Only events about principals (or tokens owned by principals) in this group. */
  principalGroupId?: string | undefined;
  /** Only events this principal did or that concern it. */
  involving?: string | undefined;
}

/** A page of audit events, newest first (ids grow with time). */
export function listAuditEvents(db: Kysely<Database>, filter: AuditFilter, beforeId: bigint | undefined, limit: number): Promise<AuditRow[]> {
  let query = db.selectFrom("audit_log").selectAll("audit_log");
  if (filter.actorId) query = query.where("audit_log.actor_id", "=", filter.actorId);
  if (filter.tokenId) query = query.where("audit_log.token_id", "=", filter.tokenId);
  if (filter.organisationId) query = query.where("audit_log.organisation_id", "=", filter.organisationId);
  if (filter.principalId) query = query.where("audit_log.principal_id", "=", filter.principalId);
  if (filter.action) query = query.where("audit_log.action", "=", filter.action);
  if (filter.from) query = query.where("audit_log.at", ">=", filter.from);
  if (filter.until) query = query.where("audit_log.at", "<", filter.until);
  if (filter.principalGroupId) {
    const groupId = filter.principalGroupId;
    query = query.where(sql<boolean>`exists (select 1 from principal p where p.id = audit_log.principal_id and p.group_id = ${groupId})`);
  }
  if (filter.involving) {
    const id = filter.involving;
    query = query.where((eb) => eb.or([eb("audit_log.actor_id", "=", id), eb("audit_log.principal_id", "=", id)]));
  }
  if (beforeId !== undefined) query = query.where("audit_log.id", "<", beforeId.toString());
  return query.orderBy("audit_log.id", "desc").limit(limit).execute();
}
