import type { PageAfter } from "../../store/page-after.js";
import { decodePageToken, encodePageToken } from "./page-token.js";

/** What a list call asks for: a page size already bounded by transport, and an opaque token. */
export interface PageRequest {
  readonly pageSize: number;
  readonly pageToken: string;
}

export interface Page<T> {
  readonly items: readonly T[];
  /** Empty on the last page. */
  readonly nextPageToken: string;
}

/**
 * Runs a (created_at, id)-ordered query for one page. One extra row tells
 * whether another page exists, so no count query is needed.
 */
export async function pageOf<Row extends { created_at: Date; id: string }, T>(
  request: PageRequest,
  query: (after: PageAfter | undefined, limit: number) => Promise<Row[]>,
  toItem: (row: Row) => T,
): Promise<Page<T>> {
  const rows = await query(decodePageToken(request.pageToken), request.pageSize + 1);
  const page = rows.slice(0, request.pageSize);
  const last = page.at(-1);
  return {
    items: page.map(toItem),
    nextPageToken: rows.length > request.pageSize && last ? encodePageToken({ at: last.created_at, id: last.id }) : "",
  };
}
