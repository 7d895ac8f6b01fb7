import type { Duration, Timestamp } from "@bufbuild/protobuf/wkt";
import { invalidArgument } from "@tessera/shared/errors/tessera-error";

// Untrusted request fields become domain values here, bounded, or fail with
// INVALID_ARGUMENT naming the field.

const uuidPattern = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;
// C0/C1 controls, line and paragraph separators: nothing a name needs.
const controlCharacters = /[\u0000-\u001f\u007f-\u009f\u2028\u2029]/;
// Characters that change how a name reads without being seen, so one name can pose as another in
// listings and audit: bidi marks, embeddings, overrides and isolates, zero-width spaces and joiners,
// the BOM, soft hyphens, fillers, variation selectors and tags (Unicode's format characters and its
// default-ignorable code points), and unpaired surrogates.
const invisibleCharacters = /[\p{Cf}\p{Default_Ignorable_Code_Point}\p{Cs}]/u;

const codePoint = (character: string) => `U+${character.codePointAt(0)!.toString(16).toUpperCase().padStart(4, "0")}`;

/** A required UUID (lowercase, canonical form). */
export function parseId(field: string, value: string): string {
  const id = value.toLowerCase();
  if (!uuidPattern.test(id)) throw invalidArgument(field, "must be a UUID");
  return id;
}

/** An optional UUID: empty means "not given". */
export function parseOptionalId(field: string, value: string): string | undefined {
  return value === "" ? undefined : parseId(field, value);
}

/** A display name: trimmed, 1..maxLength characters, no control, invisible or bidi formatting characters. */
export function parseName(field: string, value: string, maxLength = 100): string {
  const name = value.trim();
  if (name.length === 0) throw invalidArgument(field, "must not be empty");
  if (name.length > maxLength) throw invalidArgument(field, `must be at most ${maxLength} characters`);
  if (controlCharacters.test(name)) throw invalidArgument(field, "must not contain control characters");
  const invisible = invisibleCharacters.exec(name);
  if (invisible) throw invalidArgument(field, `must not contain invisible or bidirectional formatting characters (${codePoint(invisible[0])})`);
  return name;
}

/** Free text that may be empty, bounded. */
export function parseOptionalText(field: string, value: string, maxLength: number): string | undefined {
  if (value.length > maxLength) throw invalidArgument(field, `must be at most ${maxLength} characters`);
  if (controlCharacters.test(value)) throw invalidArgument(field, "must not contain control characters");
  return value === "" ? undefined : value;
}

/** 0 → the default; above the maximum is refused rather than silently clamped. */
export function parsePageSize(value: number, fallback = 50, max = 500): number {
  if (value > max) throw invalidArgument("page_size", `must be at most ${max}`);
  return value === 0 ? fallback : value;
}

/** A bounded list of strings, each bounded too; content checks are the domain's. */
export function parseStringList(field: string, values: readonly string[], maxCount: number, maxLength: number): string[] {
  if (values.length > maxCount) throw invalidArgument(field, `at most ${maxCount} entries`);
  values.forEach((v, i) => {
    if (v.length > maxLength) throw invalidArgument(`${field}[${i}]`, `must be at most ${maxLength} characters`);
  });
  return [...values];
}

/** The longest any call may wait for validators to acknowledge a change. */
export const maxWaitMs = 30_000;

/** A wait as milliseconds: unset is 0 (no wait); negative or over 30 s is refused. */
export function parseWait(field: string, value: Duration | undefined): number {
  if (!value) return 0;
  const ms = Number(value.seconds) * 1000 + Math.floor(value.nanos / 1e6);
  if (ms < 0 || value.nanos < 0) throw invalidArgument(field, "must not be negative");
  if (ms > maxWaitMs) throw invalidArgument(field, `must be at most ${maxWaitMs / 1000} s`);
  return ms;
}

// google.protobuf.Timestamp's own range: 0001-01-01T00:00:00Z to 9999-12-31T23:59:59.999999999Z.
const minTimestampSeconds = -62_135_596_800n;
const maxTimestampSeconds = 253_402_300_799n;

/**
 * A point in time, or undefined when not given. Binary protobuf carries any
 * int64 of seconds; outside the Timestamp's range (years 1 to 9999) or with
 * nanos outside 0..999,999,999 it is refused rather than reaching the database.
 */
export function parseTimestamp(field: string, value: Timestamp | undefined): Date | undefined {
  if (!value) return undefined;
  if (value.seconds < minTimestampSeconds || value.seconds > maxTimestampSeconds) throw invalidArgument(field, "must be between the years 1 and 9999");
  if (value.nanos < 0 || value.nanos > 999_999_999) throw invalidArgument(field, "nanos must be between 0 and 999999999");
  // Rounded down: timestampDate rounds nanos up, carrying 9999-12-31T23:59:59.9999 into the year 10000.
  return new Date(Number(value.seconds) * 1000 + Math.floor(value.nanos / 1_000_000));
}

/** Unspecified (0) means "not given"; an unknown enum number is refused. */
export function parseEnum<E extends number, T>(field: string, value: E, table: Partial<Record<E, T>>): T | undefined {
  if (value === 0) return undefined;
  const parsed = table[value];
  if (parsed === undefined) throw invalidArgument(field, "is not a known value");
  return parsed;
}
