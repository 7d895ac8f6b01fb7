import { sql, type RawBuilder } from "kysely";

/**
 * Where the previous page ended: the id of its last row. The database looks up
 * that row's sort key itself, so the key never passes through JavaScript, whose
 * Date holds milliseconds where Postgres keeps microseconds: rows that share a
 * millisecond are neither skipped nor repeated. Ids are uuids, or audit ids
 * (digits).
 */
export type PageAfter = string;

/** Tables listed newest first by (created_at, id). */
type CreatedTable = "token" | "principal" | "group" | "organisation";

/**
 * Rows after `after` in (created_at, id) descending order. A row comparison
 * against a value computed once (an InitPlan), so the listing index serves it as
 * an index condition and a deep page costs what the first does. An id that names
 * no row matches nothing.
 */
export function comesAfter(table: CreatedTable, after: PageAfter): RawBuilder<boolean> {
  return sql<boolean>`(${sql.ref(`${table}.created_at`)}, ${sql.ref(`${table}.id`)})
    < ((select page_end.created_at from ${sql.table(table)} as page_end where page_end.id = ${after}::uuid), ${after}::uuid)`;
}

/** Audit events after `after` in (at, id) descending order; as comesAfter. */
export function auditComesAfter(after: PageAfter): RawBuilder<boolean> {
  return sql<boolean>`(audit_log.at, audit_log.id) < ((select page_end.at from audit_log as page_end where page_end.id = ${after}::int8), ${after}::int8)`;
}
