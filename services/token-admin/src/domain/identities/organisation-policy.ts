import type { OrganisationRow } from "@tessera/shared/db/schema";

/** What an organisation's settings decide about tokens. */
export interface OrganisationPolicy {
  readonly id: string;
  readonly name: string;
  readonly apiTokensEnabled: boolean;
  /** IANA zone: calendar-date expiries end at midnight here. */
  readonly timeZone: string;
  /** Applied when a CreateToken names no expiry. */
  readonly defaultExpiry: DefaultExpiry;
  /** Upper bound on any token's lifetime; undefined: none. */
  readonly maxLifetimeSeconds: number | undefined;
  readonly allowNoExpiry: boolean;
  /** Tokens only for technical principals. */
  readonly technicalUsersOnly: boolean;
  /** The scopes tokens may carry; empty: any well-formed scope. */
  readonly scopeCatalog: readonly string[];
  readonly maxExchangeTtlSeconds: number;
  readonly maxRegenerateGraceSeconds: number;
  /** Tokens unused this long are revoked by the system; undefined: never (the default). */
  readonly maxInactivitySeconds: number | undefined;
}

export type DefaultExpiry =
  | { readonly kind: "none" }
  | { readonly kind: "end_of_today" }
  | { readonly kind: "duration"; readonly seconds: number };

/** Parses the stored form of default_expiry: "none", "end_of_today" or a number of seconds. */
export function defaultExpiryFromColumn(value: string): DefaultExpiry {
  if (value === "none" || value === "end_of_today") return { kind: value };
  return { kind: "duration", seconds: Number(value) };
}

export function defaultExpiryToColumn(value: DefaultExpiry): string {
  return value.kind === "duration" ? String(value.seconds) : value.kind;
}

/** The policy an organisation's settings make (its timestamps play no part). */
export function policyFromRow(row: Omit<OrganisationRow, "created_at" | "updated_at" | "tokens_not_before">): OrganisationPolicy {
  return {
    id: row.id,
    name: row.name,
    apiTokensEnabled: row.api_tokens_enabled,
    timeZone: row.time_zone,
    defaultExpiry: defaultExpiryFromColumn(row.default_expiry),
    maxLifetimeSeconds: row.max_lifetime_seconds ?? undefined,
    allowNoExpiry: row.allow_no_expiry,
    technicalUsersOnly: row.technical_users_only,
    scopeCatalog: row.scope_catalog,
    maxExchangeTtlSeconds: row.max_exchange_ttl_seconds,
    maxRegenerateGraceSeconds: row.max_regenerate_grace_seconds,
    maxInactivitySeconds: row.max_inactivity_seconds ?? undefined,
  };
}
