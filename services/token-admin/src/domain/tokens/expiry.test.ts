import { describe, expect, it } from "vitest";
import { TesseraError } from "@tessera/shared/errors/tessera-error";
import { endOfDate, resolveExpiry } from "./expiry.js";
import type { OrganisationPolicy } from "../identities/organisation-policy.js";

const policy = (overrides: Partial<OrganisationPolicy> = {}): OrganisationPolicy => ({
  id: "o", name: "o", apiTokensEnabled: true, timeZone: "UTC", defaultExpiry: { kind: "none" }, maxLifetimeSeconds: undefined,
  allowNoExpiry: true, technicalUsersOnly: false, scopeCatalog: [], maxExchangeTtlSeconds: 3600, maxRegenerateGraceSeconds: 86400, maxInactivitySeconds: undefined, ...overrides,
});
const at = (iso: string) => new Date(iso);
const iso = (date: Date | null) => date?.toISOString() ?? null;
const fieldOf = (fn: () => unknown) => {
  try {
    fn();
  } catch (err) {
    if (err instanceof TesseraError) return `${err.code} ${err.message.split(":")[0]}`;
    throw err;
  }
  return "no error";
};

describe("expiry", () => {
  it("ends a calendar date at the following midnight in the organisation's zone", () => {
    expect(iso(endOfDate("2026-07-01", "Europe/Berlin"))).toBe("2026-07-01T22:00:00.000Z");
    expect(iso(endOfDate("2026-07-01", "UTC"))).toBe("2026-07-02T00:00:00.000Z");
    expect(iso(endOfDate("2026-07-01", "Asia/Kolkata"))).toBe("2026-07-01T18:30:00.000Z");
  });

  it("handles the DST changes: a 23-hour and a 25-hour day in Berlin", () => {
    // Spring forward on 2026-03-29: that day's midnight end is at +02:00.
    expect(iso(endOfDate("2026-03-29", "Europe/Berlin"))).toBe("2026-03-29T22:00:00.000Z");
    expect(iso(endOfDate("2026-03-28", "Europe/Berlin"))).toBe("2026-03-28T23:00:00.000Z");
    // Fall back on 2026-10-25: the day lasts 25 hours and ends at +01:00.
    expect(iso(endOfDate("2026-10-25", "Europe/Berlin"))).toBe("2026-10-25T23:00:00.000Z");
    expect(iso(endOfDate("2026-10-24", "Europe/Berlin"))).toBe("2026-10-24T22:00:00.000Z");
  });

  it("handles a zone where midnight itself does not exist on the change day (Chile)", () => {
    // Santiago springs forward at 24:00 on 2026-09-05: 2026-09-06 starts at 01:00 (-03:00), 04:00Z.
    expect(iso(endOfDate("2026-09-05", "America/Santiago"))).toBe("2026-09-06T04:00:00.000Z");
  });

  it("counts days as calendar days in the zone: same wall-clock time across DST", () => {
    const berlin = policy({ timeZone: "Europe/Berlin" });
    const created = at("2026-03-28T08:00:00Z"); // 09:00 in Berlin, before the spring change
    expect(iso(resolveExpiry({ kind: "after", amount: 1, unit: "days" }, berlin, created))).toBe("2026-03-29T07:00:00.000Z"); // 09:00 again, 23 h later
    expect(iso(resolveExpiry({ kind: "after", amount: 24, unit: "hours" }, berlin, created))).toBe("2026-03-29T08:00:00.000Z"); // hours are hours
    expect(iso(resolveExpiry({ kind: "after", amount: 90, unit: "minutes" }, berlin, created))).toBe("2026-03-28T09:30:00.000Z");
  });

  it("defaults to the end of today in the organisation's zone, not the server's", () => {
    const tokyo = policy({ timeZone: "Asia/Tokyo", defaultExpiry: { kind: "end_of_today" } });
    // 23:30 UTC is already 08:30 on the next day in Tokyo.
    expect(iso(resolveExpiry(undefined, tokyo, at("2026-11-23T23:30:00Z")))).toBe("2026-11-24T15:00:00.000Z");
    expect(iso(resolveExpiry(undefined, policy({ defaultExpiry: { kind: "duration", seconds: 3600 } }), at("2026-11-23T10:00:00Z")))).toBe("2026-11-23T11:00:00.000Z");
  });

  it("allows no expiry only where policy allows it, and caps every expiry at max_lifetime", () => {
    const now = at("2026-11-23T10:00:00Z");
    expect(resolveExpiry({ kind: "never" }, policy(), now)).toBeNull();
    expect(resolveExpiry(undefined, policy(), now)).toBeNull();
    expect(fieldOf(() => resolveExpiry({ kind: "never" }, policy({ allowNoExpiry: false, defaultExpiry: { kind: "end_of_today" } }), now))).toBe("invalid_argument expiry.never");
    const capped = policy({ maxLifetimeSeconds: 7 * 86400 });
    expect(iso(resolveExpiry({ kind: "after", amount: 30, unit: "days" }, capped, now))).toBe("2026-11-30T10:00:00.000Z");
    expect(iso(resolveExpiry({ kind: "never" }, capped, now))).toBe("2026-11-30T10:00:00.000Z");
    expect(iso(resolveExpiry({ kind: "after", amount: 1, unit: "days" }, capped, now))).toBe("2026-11-24T10:00:00.000Z");
  });

  it("refuses expiries in the past, impossible dates and absurd amounts, naming the field", () => {
    const now = at("2026-11-23T10:00:00Z");
    expect(fieldOf(() => resolveExpiry({ kind: "at", at: at("2026-11-23T09:59:59Z") }, policy(), now))).toBe("invalid_argument expiry.at");
    expect(fieldOf(() => resolveExpiry({ kind: "end_of_date", date: "2026-11-22" }, policy(), now))).toBe("invalid_argument expiry.end_of_date");
    expect(fieldOf(() => resolveExpiry({ kind: "end_of_date", date: "2026-02-30" }, policy(), now))).toBe("invalid_argument expiry.end_of_date");
    expect(fieldOf(() => resolveExpiry({ kind: "end_of_date", date: "23.11.2026" }, policy(), now))).toBe("invalid_argument expiry.end_of_date");
    expect(fieldOf(() => resolveExpiry({ kind: "after", amount: 0, unit: "days" }, policy(), now))).toBe("invalid_argument expiry.after.amount");
    expect(fieldOf(() => resolveExpiry({ kind: "after", amount: 4000, unit: "days" }, policy(), now))).toBe("invalid_argument expiry.after.amount");
    // More than ten years ahead, however given: "never" is the way to ask for that, where policy allows it.
    expect(fieldOf(() => resolveExpiry({ kind: "at", at: at("9999-01-01T00:00:00Z") }, policy(), now))).toBe("invalid_argument expiry.at");
    expect(fieldOf(() => resolveExpiry({ kind: "end_of_date", date: "2040-01-01" }, policy(), now))).toBe("invalid_argument expiry.end_of_date");
    // Today is still allowed: it ends at tonight's midnight.
    expect(iso(resolveExpiry({ kind: "end_of_date", date: "2026-11-23" }, policy(), now))).toBe("2026-11-24T00:00:00.000Z");
  });
});
