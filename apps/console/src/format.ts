import { timestampDate, type Duration, type Timestamp } from "@bufbuild/protobuf/wkt";

const formatters = new Map<string, Intl.DateTimeFormat>();
function formatter(timeZone: string, options: Intl.DateTimeFormatOptions): Intl.DateTimeFormat {
  const key = `${timeZone}|${JSON.stringify(options)}`;
  let found = formatters.get(key);
  if (!found) formatters.set(key, (found = new Intl.DateTimeFormat("en-GB", { ...options, timeZone })));
  return found;
}

/** A time in `timeZone`, e.g. "3 Dec 2026, 14:05"; "—" when unset. */
export function formatTime(ts: Timestamp | undefined, timeZone: string): string {
  if (!ts) return "—";
  return formatter(timeZone, { dateStyle: "medium", timeStyle: "short" }).format(timestampDate(ts));
}

/** A calendar date ("YYYY-MM-DD") as it is in `timeZone` at `at`. */
export function isoDateIn(timeZone: string, at: Date): string {
  const parts = isoParts(timeZone, at);
  return `${parts.year}-${parts.month}-${parts.day}`;
}

function isoParts(timeZone: string, at: Date): Record<string, string> {
  const parts: Record<string, string> = {};
  for (const p of formatter(timeZone, { year: "numeric", month: "2-digit", day: "2-digit", hour: "2-digit", minute: "2-digit", hourCycle: "h23" }).formatToParts(at)) parts[p.type] = p.value;
  return parts;
}

/**
 * An expiry in `timeZone`. Midnight there is shown as the end of the day
 * before ("end of 31 Dec 2031"), as calendar-date expiries are chosen.
 */
export function formatExpiry(ts: Timestamp | undefined, timeZone: string): string {
  if (!ts) return "Never";
  const at = timestampDate(ts);
  const parts = isoParts(timeZone, at);
  if (parts.hour === "00" && parts.minute === "00") {
    const dayBefore = new Date(at.getTime() - 12 * 3600_000);
    return `End of ${formatter(timeZone, { dateStyle: "medium" }).format(dayBefore)}`;
  }
  return formatTime(ts, timeZone);
}

const relative = new Intl.RelativeTimeFormat("en", { numeric: "auto" });
const units: [Intl.RelativeTimeFormatUnit, number][] = [
  ["year", 365 * 86400_000],
  ["month", 30 * 86400_000],
  ["day", 86400_000],
  ["hour", 3600_000],
  ["minute", 60_000],
];

/** "5 minutes ago", "in 3 days"; "just now" within a minute. */
export function formatRelative(ts: Timestamp, now: number): string {
  const delta = timestampDate(ts).getTime() - now;
  for (const [unit, ms] of units) if (Math.abs(delta) >= ms) return relative.format(Math.round(delta / ms), unit);
  return "just now";
}

/** Whole seconds of a Duration; 0 when unset. */
export function durationSeconds(duration: Duration | undefined): number {
  return duration ? Number(duration.seconds) : 0;
}

/** "1 hour", "30 minutes", "2 days". */
export function formatSeconds(seconds: number): string {
  const [unit, size] = seconds % 86400 === 0 ? ["day", 86400] : seconds % 3600 === 0 ? ["hour", 3600] : seconds % 60 === 0 ? ["minute", 60] : ["second", 1];
  const n = seconds / (size as number);
  return `${n} ${unit}${n === 1 ? "" : "s"}`;
}
