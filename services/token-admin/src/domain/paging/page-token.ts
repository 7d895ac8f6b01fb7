import { invalidArgument } from "@tessera/shared/errors/tessera-error";

// Page tokens are opaque to callers: base64url of the last row's sort key.

const uuidPattern = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

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
  if (rest.length > 0 || !id || !uuidPattern.test(id) || Number.isNaN(date.getTime())) {
    throw invalidArgument("page_token", "is not a page token this server issued");
  }
  return { at: date, id };
}
