import type { PageAfter } from "../../store/page-after.js";
import { decodePageToken, encodePageToken, type PagedList } from "./page-token.js";

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

export const emptyPage: Page<never> = { items: [], nextPageToken: "" };

/**
 * Runs a newest-first query for one page of `list`. One extra row tells whether
 * another page exists, so no count query is needed. A bad page token is refused
 * before the query runs.
 */
export async function pageOf<Row extends { id: string | number | bigint }, T>(
  list: PagedList,
  request: PageRequest,
  query: (after: PageAfter | undefined, limit: number) => Promise<Row[]>,
  toItem: (row: Row) => T,
): Promise<Page<T>> {
  const rows = await query(decodePageToken(list, request.pageToken), request.pageSize + 1);
  const page = rows.slice(0, request.pageSize);
  const last = page.at(-1);
  return {
    items: page.map(toItem),
    nextPageToken: rows.length > request.pageSize && last ? encodePageToken(list, String(last.id)) : "",
  };
}
