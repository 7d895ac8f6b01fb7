import { invalidArgument } from "@tessera/shared/errors/tessera-error";
import type { PageAfter } from "../../store/page-after.js";

// Page tokens are opaque to callers: base64url of the list's name and the id of
// the page's last row. The name keeps one list's token from being used on another.

/** The lists that page, each with the shape of its ids. */
const idPatterns = {
  tokens: /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/,
  principals: /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/,
  groups: /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/,
  organisations: /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/,
  audit: /^[1-9][0-9]{0,17}$/, // below 2^63 - 1, bigint's top
} as const;

export type PagedList = keyof typeof idPatterns;

export function encodePageToken(list: PagedList, after: PageAfter): string {
  return Buffer.from(`${list}|${after}`, "utf8").toString("base64url");
}

/** Undefined for an empty token; invalid_argument naming `page_token` for anything encodePageToken did not make for `list`. */
export function decodePageToken(list: PagedList, token: string): PageAfter | undefined {
  if (token === "") return undefined;
  const [name, after, ...rest] = Buffer.from(token, "base64url").toString("utf8").split("|");
  if (name !== list || rest.length > 0 || after === undefined || !idPatterns[list].test(after)) {
    throw invalidArgument("page_token", "is not a page token this server issued");
  }
  return after;
}
