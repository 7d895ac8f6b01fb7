import { DateTime } from "luxon";
import { invalidArgument } from "@tessera/shared/errors/tessera-error";
import type { OrganisationPolicy } from "../identities/organisation-policy.js";

export type ExpiryUnit = "minutes" | "hours" | "days";

/** When a new token should stop working, as the caller asked. */
export type ExpiryRequest =
  | { readonly kind: "after"; readonly amount: number; readonly unit: ExpiryUnit }
  | { readonly kind: "at"; readonly at: Date }
  /** "YYYY-MM-DD": the token stops at the end of that date in the organisation's time zone. */
  | { readonly kind: "end_of_date"; readonly date: string }
  | { readonly kind: "never" };

/** Ten years: a bound on any expiry, however given ("never" is the way to ask for more, where policy allows it). */
const maxRelativeSeconds = 10 * 366 * 24 * 3600;
const secondsPerUnit: Record<ExpiryUnit, number> = { minutes: 60, hours: 3600, days: 86400 };

/** The instant midnight ends `date` (an ISO date) in `timeZone`; DST gaps resolve forward. */
export function endOfDate(date: string, timeZone: string): Date {
  return DateTime.fromISO(date, { zone: timeZone }).plus({ days: 1 }).startOf("day").toJSDate();
}

function endOfToday(now: Date, timeZone: string): Date {
  return DateTime.fromJSDate(now, { zone: timeZone }).plus({ days: 1 }).startOf("day").toJSDate();
}

function afterRelative(now: Date, amount: number, unit: ExpiryUnit, timeZone: string): Date {
  // Days are calendar days: the same wall-clock time N days on, so a "7 days"
  // token made at 09:00 ends at 09:00 even across a DST change (23 or 25 hours a day).
  if (unit === "days") return DateTime.fromJSDate(now, { zone: timeZone }).plus({ days: amount }).toJSDate();
  return new Date(now.getTime() + amount * secondsPerUnit[unit] * 1000);
}

/** The requested expiry before the policy cap; null: none. Throws invalid_argument naming the field. */
function requestedExpiry(request: ExpiryRequest | undefined, policy: OrganisationPolicy, now: Date): Date | null {
  if (request === undefined) {
    const fallback = policy.defaultExpiry;
    if (fallback.kind === "end_of_today") return endOfToday(now, policy.timeZone);
    if (fallback.kind === "duration") return new Date(now.getTime() + fallback.seconds * 1000);
    return null;
  }
  switch (request.kind) {
    case "after": {
      if (!Number.isInteger(request.amount) || request.amount < 1) {
        throw invalidArgument("expiry.after.amount", "must be a positive whole number");
      }
      if (request.amount * secondsPerUnit[request.unit] > maxRelativeSeconds) {
        throw invalidArgument("expiry.after.amount", "must be at most ten years");
      }
      return afterRelative(now, request.amount, request.unit, policy.timeZone);
    }
    case "at":
      if (Number.isNaN(request.at.getTime()) || request.at.getTime() <= now.getTime()) {
        throw invalidArgument("expiry.at", "must be in the future");
      }
      if (request.at.getTime() > now.getTime() + maxRelativeSeconds * 1000) throw invalidArgument("expiry.at", "must be at most ten years ahead");
      return request.at;
    case "end_of_date": {
      const day = DateTime.fromISO(request.date, { zone: policy.timeZone });
      if (!/^\d{4}-\d{2}-\d{2}$/.test(request.date) || !day.isValid) {
        throw invalidArgument("expiry.end_of_date", "must be a calendar date YYYY-MM-DD");
      }
      const end = endOfDate(request.date, policy.timeZone);
      if (end.getTime() <= now.getTime()) throw invalidArgument("expiry.end_of_date", "must be today or later");
      if (end.getTime() > now.getTime() + maxRelativeSeconds * 1000) throw invalidArgument("expiry.end_of_date", "must be at most ten years ahead");
      return end;
    }
    case "never":
      return null;
  }
}

/**
 * When a new token expires (null: never), from the request and the organisation's
 * policy: an omitted expiry takes the default, "never" needs the policy to allow
 * it, and every expiry is capped at max_lifetime.
 */
export function resolveExpiry(request: ExpiryRequest | undefined, policy: OrganisationPolicy, now: Date): Date | null {
  const requested = requestedExpiry(request, policy, now);
  if (requested === null && !policy.allowNoExpiry && policy.maxLifetimeSeconds === undefined) {
    throw invalidArgument(request ? "expiry.never" : "expiry", "the organisation's policy requires an expiry");
  }
  if (policy.maxLifetimeSeconds === undefined) return requested;
  const cap = new Date(now.getTime() + policy.maxLifetimeSeconds * 1000);
  if (requested === null) {
    // No expiry where a lifetime cap exists: the cap is the expiry, unless the
    // policy forbids unlimited tokens outright, which the caller should hear.
    if (!policy.allowNoExpiry && request?.kind === "never") {
      throw invalidArgument("expiry.never", "the organisation's policy requires an expiry");
    }
    return cap;
  }
  return requested.getTime() > cap.getTime() ? cap : requested;
}
