import type { Updateable } from "kysely";
import { IANAZone } from "luxon";
import type { OrganisationTable } from "@tessera/shared/db/schema";
import { invalidArgument } from "@tessera/shared/errors/tessera-error";
import { isWellFormedScope } from "@tessera/shared/token/scope";
import { defaultExpiryToColumn, type DefaultExpiry, type OrganisationPolicy } from "./organisation-policy.js";

/** Settings to change; undefined leaves a setting as it is. */
export interface SettingsChange {
  readonly apiTokensEnabled?: boolean | undefined;
  readonly timeZone?: string | undefined;
  readonly defaultExpiry?: DefaultExpiry | undefined;
  /** null removes the cap. */
  readonly maxLifetimeSeconds?: number | null | undefined;
  readonly allowNoExpiry?: boolean | undefined;
  readonly technicalUsersOnly?: boolean | undefined;
  readonly scopeCatalog?: readonly string[] | undefined;
  readonly maxExchangeTtlSeconds?: number | undefined;
  readonly maxRegenerateGraceSeconds?: number | undefined;
  /** null switches the inactivity policy off. */
  readonly maxInactivitySeconds?: number | null | undefined;
}

/** The settings a new organisation starts with: permissive, so the quickstart works at once. */
export const defaultSettings = {
  apiTokensEnabled: true,
  timeZone: "UTC",
  defaultExpiry: { kind: "none" } as DefaultExpiry,
  maxLifetimeSeconds: undefined as number | undefined,
  allowNoExpiry: true,
  technicalUsersOnly: false,
  scopeCatalog: [] as readonly string[],
  maxExchangeTtlSeconds: 3600,
  maxRegenerateGraceSeconds: 86_400,
  maxInactivitySeconds: undefined as number | undefined,
};

type Settings = Omit<OrganisationPolicy, "id" | "name">;

const minute = 60;
const tenYears = 10 * 366 * 86_400;
const maxCatalog = 500;

/** Checks a whole setting set (after merging a change), naming the first bad field. */
function checkSettings(s: Settings): void {
  if (!IANAZone.isValidZone(s.timeZone)) throw invalidArgument("settings.time_zone", "must be an IANA time zone such as Europe/Berlin");
  if (s.defaultExpiry.kind === "duration" && (s.defaultExpiry.seconds < minute || s.defaultExpiry.seconds > tenYears)) {
    throw invalidArgument("settings.default_expiry.after", "must be between one minute and ten years");
  }
  if (s.maxLifetimeSeconds !== undefined && (s.maxLifetimeSeconds < minute || s.maxLifetimeSeconds > tenYears)) {
    throw invalidArgument("settings.max_lifetime", "must be between one minute and ten years (zero removes the cap)");
  }
  if (s.defaultExpiry.kind === "none" && !s.allowNoExpiry && s.maxLifetimeSeconds === undefined) {
    throw invalidArgument("settings.default_expiry", "cannot be none while tokens without expiry are not allowed and no max_lifetime caps them");
  }
  if (s.maxExchangeTtlSeconds < minute || s.maxExchangeTtlSeconds > 86_400) {
    throw invalidArgument("settings.max_exchange_ttl", "must be between one minute and one day");
  }
  if (s.maxRegenerateGraceSeconds < 0 || s.maxRegenerateGraceSeconds > 30 * 86_400) {
    throw invalidArgument("settings.max_regenerate_grace", "must be between zero and thirty days");
  }
  if (s.maxInactivitySeconds !== undefined && (s.maxInactivitySeconds < minute || s.maxInactivitySeconds > tenYears)) {
    throw invalidArgument("settings.max_inactivity", "must be between one minute and ten years (zero switches it off)");
  }
  if (s.scopeCatalog.length > maxCatalog) throw invalidArgument("settings.scope_catalog", `at most ${maxCatalog} scopes`);
  const seen = new Set<string>();
  s.scopeCatalog.forEach((scope, i) => {
    if (!isWellFormedScope(scope)) throw invalidArgument(`settings.scope_catalog[${i}]`, "must look like resource:action");
    if (seen.has(scope)) throw invalidArgument(`settings.scope_catalog[${i}]`, `"${scope}" is repeated`);
    seen.add(scope);
  });
}

/** Merges a change into current settings, checks the result and returns the columns to write. */
export function settingsColumns(current: Settings, change: SettingsChange): Updateable<OrganisationTable> {
  const merged: Settings = {
    apiTokensEnabled: change.apiTokensEnabled ?? current.apiTokensEnabled,
    timeZone: change.timeZone ?? current.timeZone,
    defaultExpiry: change.defaultExpiry ?? current.defaultExpiry,
    maxLifetimeSeconds: change.maxLifetimeSeconds === null ? undefined : (change.maxLifetimeSeconds ?? current.maxLifetimeSeconds),
    allowNoExpiry: change.allowNoExpiry ?? current.allowNoExpiry,
    technicalUsersOnly: change.technicalUsersOnly ?? current.technicalUsersOnly,
    scopeCatalog: change.scopeCatalog ?? current.scopeCatalog,
    maxExchangeTtlSeconds: change.maxExchangeTtlSeconds ?? current.maxExchangeTtlSeconds,
    maxRegenerateGraceSeconds: change.maxRegenerateGraceSeconds ?? current.maxRegenerateGraceSeconds,
    maxInactivitySeconds: change.maxInactivitySeconds === null ? undefined : (change.maxInactivitySeconds ?? current.maxInactivitySeconds),
  };
  checkSettings(merged);
  return {
    api_tokens_enabled: merged.apiTokensEnabled,
    time_zone: merged.timeZone,
    default_expiry: defaultExpiryToColumn(merged.defaultExpiry),
    max_lifetime_seconds: merged.maxLifetimeSeconds ?? null,
    allow_no_expiry: merged.allowNoExpiry,
    technical_users_only: merged.technicalUsersOnly,
    scope_catalog: [...merged.scopeCatalog],
    max_exchange_ttl_seconds: merged.maxExchangeTtlSeconds,
    max_regenerate_grace_seconds: merged.maxRegenerateGraceSeconds,
    max_inactivity_seconds: merged.maxInactivitySeconds ?? null,
  };
}
