import { invalidArgument } from "@tessera/shared/errors/tessera-error";

// Page tokens are opaque to callers: base64url of the last row's sort key.

const uuidPattern = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;
// Rows are stamped with the current time, so a position outside the years 1 to 9999 was never issued;
// some such dates the database cannot hold, and would have surfaced as an internal error.
const earliestMs = Date.parse("0001-01-01T00:00:00.000Z");
const latestMs = Date.parse("9999-12-31T23:59:59.999Z");

export interface PagePosition {
  readonly at: Date;
  readonly id: string;
}

export function encodePageToken(position: PagePosition): string {
  return Buffer.from(`${position.at.toISOString()}|${position.id}`, "utf8").toString("base64url");
}

/** Undefined for an empty token; invalid_argument naming `page_token` for anything not made by encodePageToken. */
export function decodePageToken(token: string): PagePosition | undefined {
  if (token === "") return undefined;
  const [at, id, ...rest] = Buffer.from(token, "base64url").toString("utf8").split("|");
  const date = new Date(at ?? "");
  const ms = date.getTime();
  if (rest.length > 0 || !id || !uuidPattern.test(id) || !(ms >= earliestMs && ms <= latestMs)) {
    throw invalidArgument("page_token", "is not a page token this server issued");
  }
  return { at: date, id };
}
