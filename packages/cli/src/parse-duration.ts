import { InvalidArgumentError } from "commander";

const units = { s: 1, m: 60, h: 3600, d: 86_400 } as const;

/** "90s", "45m", "8h", "30d" → seconds. Refuses anything else with a message commander prints. */
export function parseDurationSeconds(value: string): number {
  const match = /^(\d{1,7})([smhd])$/.exec(value.trim());
  if (!match) throw new InvalidArgumentError('expected a duration such as "45m", "8h" or "30d"');
  return Number(match[1]) * units[match[2] as keyof typeof units];
}

/** A protobuf Duration init from a CLI duration. */
export const durationOf = (value: string) => ({ seconds: BigInt(parseDurationSeconds(value)), nanos: 0 });

/**
 * A token expiry as the CLI takes it: "45m" / "8h" / "30d" (relative), "2026-12-31"
 * (the end of that date in the organisation's zone), an ISO instant, or "never".
 */
export function parseExpiry(value: string) {
  const relative = /^(\d{1,6})([mhd])$/.exec(value.trim());
  if (relative) {
    const unit = { m: 1, h: 2, d: 3 }[relative[2] as "m" | "h" | "d"];
    return { kind: { case: "after" as const, value: { amount: Number(relative[1]), unit } } };
  }
  if (value === "never") return { kind: { case: "never" as const, value: true } };
  if (/^\d{4}-\d{2}-\d{2}$/.test(value)) return { kind: { case: "endOfDate" as const, value } };
  const at = Date.parse(value);
  if (Number.isNaN(at)) throw new InvalidArgumentError('expected "45m", "8h", "30d", a date "2026-12-31", an ISO instant or "never"');
  return { kind: { case: "at" as const, value: { seconds: BigInt(Math.floor(at / 1000)), nanos: (at % 1000) * 1e6 } } };
}
