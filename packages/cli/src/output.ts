import { toJson, type DescMessage, type MessageShape } from "@bufbuild/protobuf";
import { timestampDate, type Timestamp } from "@bufbuild/protobuf/wkt";
import type { Writable } from "node:stream";

/** Prints a message as the proto3 JSON mapping (enum names, RFC 3339 times). */
export function printJson<Desc extends DescMessage>(out: Writable, schema: Desc, message: MessageShape<Desc>): void {
  out.write(`${JSON.stringify(toJson(schema, message), null, 2)}\n`);
}

/** Prints rows as an aligned table with a header. */
export function printTable(out: Writable, headers: readonly string[], rows: readonly (readonly string[])[]): void {
  const widths = headers.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? "").length)));
  const line = (cells: readonly string[]) => cells.map((c, i) => c.padEnd(widths[i]!)).join("  ").trimEnd();
  out.write(`${line(headers)}\n`);
  for (const row of rows) out.write(`${line(row)}\n`);
}

/** Prints only ids, one a line: for `ID=$(tessera … --quiet)`. */
export function printIds(out: Writable, items: readonly { id: string }[]): void {
  for (const item of items) out.write(`${item.id}\n`);
}

/** A timestamp as a short UTC date-time naming its zone, "-" when unset. */
export function shortTime(ts: Timestamp | undefined): string {
  return ts ? `${timestampDate(ts).toISOString().replace("T", " ").slice(0, 16)} UTC` : "-";
}

/** The enum value's name without its prefix: TOKEN_STATUS_ACTIVE → active. */
export function enumName(names: Record<number, string>, value: number, prefix: string): string {
  return (names[value] ?? String(value)).replace(prefix, "").toLowerCase();
}
