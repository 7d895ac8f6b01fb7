import { sql, type Kysely, type SelectQueryBuilder, type Transaction } from "kysely";
import type { AuditRow, Database } from "@tessera/shared/db/schema";
import { auditComesAfter, type PageAfter } from "./page-after.js";

type AuditQuery = SelectQueryBuilder<Database, "audit_log", AuditRow>;

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

/** The insert of `entries`, all at `at`, as one statement: to run alone (appendAudits) or inside another. */
export function auditInsert(trx: Transaction<Database>, entries: readonly AuditEntry[], at: Date) {
  return trx.insertInto("audit_log").values(
    entries.map((entry) => ({
      at,
      action: entry.action,
      actor_id: entry.actorId,
      actor_token_id: entry.actorTokenId,
      organisation_id: entry.organisationId,
      token_id: entry.tokenId ?? null,
      principal_id: entry.principalId ?? null,
      source: entry.source,
      details: JSON.stringify(entry.details ?? {}),
    })),
  );
}

/**
 * Inside the transaction whose change they record, so the two commit together
 * or not at all. One statement however many there are.
 */
export async function appendAudits(trx: Transaction<Database>, entries: readonly AuditEntry[], at: Date): Promise<void> {
  if (entries.length > 0) await auditInsert(trx, entries, at).execute();
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

/** The columns callers see; principal_group_id only serves the group filter. */
const auditColumns = [
  "audit_log.id", "audit_log.at", "audit_log.action", "audit_log.actor_id", "audit_log.actor_token_id", "audit_log.organisation_id",
  "audit_log.token_id", "audit_log.principal_id", "audit_log.source", "audit_log.details",
] as const;

/**
 * A page of audit events, newest first by (at, id). Every filter reaches its
 * rows through an index in this order (migration 2026-12-01), so a page reads
 * about its own rows at any depth, and a time window is a range of that index.
 */
export async function listAuditEvents(db: Kysely<Database>, filter: AuditFilter, after: PageAfter | undefined, limit: number): Promise<AuditRow[]> {
  const page = (narrow: (query: AuditQuery) => AuditQuery) => {
    let query = narrow(db.selectFrom("audit_log").select(auditColumns));
    if (filter.actorId) query = query.where("audit_log.actor_id", "=", filter.actorId);
    if (filter.tokenId) query = query.where("audit_log.token_id", "=", filter.tokenId);
    if (filter.organisationId) query = query.where("audit_log.organisation_id", "=", filter.organisationId);
    if (filter.principalId) query = query.where("audit_log.principal_id", "=", filter.principalId);
    if (filter.action) query = query.where("audit_log.action", "=", filter.action);
    if (filter.from) query = query.where("audit_log.at", ">=", filter.from);
    if (filter.until) query = query.where("audit_log.at", "<", filter.until);
    if (filter.principalGroupId) query = query.where("audit_log.principal_group_id", "=", filter.principalGroupId);
    if (after) query = query.where(auditComesAfter(after));
    return query.orderBy("audit_log.at", "desc").orderBy("audit_log.id", "desc").limit(limit);
  };
  const involving = filter.involving;
  if (!involving) return page((query) => query).execute();
  // What a principal did, and what others did about it: two ordered index walks
  // that never share a row, merged (a Merge Append) rather than an OR that
  // Postgres can only answer by collecting and sorting every match. The second
  // condition is written as the subject index's predicate is, or it is not used.
  const did = page((query) => query.where("audit_log.actor_id", "=", involving));
  const about = page((query) => query.where("audit_log.principal_id", "=", involving).where(sql<boolean>`audit_log.principal_id is distinct from audit_log.actor_id`));
  const { rows } = await sql<AuditRow>`${did} union all ${about} order by at desc, id desc limit ${limit}`.execute(db);
  return rows;
}
