import { sql, type RawBuilder } from "kysely";

/** Where the previous page ended, for (created_at, id) descending orders. */
export interface PageAfter {
  readonly at: Date;
  readonly id: string;
}

/**
 * Rows that come after `after` in (created_at, id) descending order: a row
 * comparison, so ties on created_at are broken by id and no row is skipped or repeated.
 */
export function comesAfter(createdAtColumn: string, idColumn: string, after: PageAfter): RawBuilder<boolean> {
  return sql<boolean>`(${sql.ref(createdAtColumn)}, ${sql.ref(idColumn)}) < (${after.at}, ${after.id}::uuid)`;
}
