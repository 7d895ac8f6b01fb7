import type { ColumnType, Generated, Insertable, Selectable, Updateable } from "kysely";

// Table types for kysely. snake_case columns, as in the migrations.

type Timestamp = ColumnType<Date, Date | string, Date | string>;
type NullableTimestamp = ColumnType<Date | null, Date | string | null, Date | string | null>;
/** A timestamp with a database default: optional on insert. */
type DefaultedTimestamp = ColumnType<Date, Date | string | undefined, Date | string>;
/** bigint columns: pg returns a string, PGlite a number or bigint; normalise on read. */
type Int8 = ColumnType<string | number | bigint, string | number | bigint, string | number | bigint>;

export interface OrganisationTable {
  id: Generated<string>;
  name: string;
  api_tokens_enabled: Generated<boolean>;
  time_zone: Generated<string>;
  /** "none" | "end_of_today" | a number of seconds. */
  default_expiry: Generated<string>;
  max_lifetime_seconds: number | null;
  allow_no_expiry: Generated<boolean>;
  technical_users_only: Generated<boolean>;
  scope_catalog: Generated<string[]>;
  max_exchange_ttl_seconds: Generated<number>;
  max_regenerate_grace_seconds: Generated<number>;
  created_at: DefaultedTimestamp;
  updated_at: DefaultedTimestamp;
  /** Tokens of the organisation created before this are refused (incident response). */
  tokens_not_before: Generated<Date | null>;
}

export interface GroupTable {
  id: Generated<string>;
  organisation_id: string;
  name: string;
  created_at: DefaultedTimestamp;
  /** Tokens of the group's principals created before this are refused (incident response). */
  tokens_not_before: Generated<Date | null>;
}

export type PrincipalKind = "human" | "technical";
export type Role = "admin" | "org_admin" | "group_admin" | "member";

export interface PrincipalTable {
  id: Generated<string>;
  organisation_id: string;
  group_id: string | null;
  name: string;
  kind: PrincipalKind;
  role: Role;
  permissions: string[];
  password_hash: string | null;
  disabled_at: NullableTimestamp;
  /** Created by the system to own a group- or org-level token. */
  system_managed: Generated<boolean>;
  created_by: string | null;
  created_at: DefaultedTimestamp;
  updated_at: DefaultedTimestamp;
  /** The principal's tokens created before this are refused (incident response). */
  tokens_not_before: Generated<Date | null>;
}

export type TokenLevelName = "user" | "group" | "org";
export type TokenKindColumn = "personal" | "exchanged" | "session";

export interface TokenTable {
  id: Generated<string>;
  organisation_id: string;
  owner_id: string;
  group_id: string | null;
  name: string;
  level: TokenLevelName;
  kind: TokenKindColumn;
  scopes: string[];
  admin: boolean;
  created_by: string;
  created_at: DefaultedTimestamp;
  expires_at: NullableTimestamp;
  /** HMAC-SHA256 of the value under the pepper. The value itself is never stored. */
  digest: Buffer;
  display_hint: string;
  parent_token_id: string | null;
  previous_digest: Buffer | null;
  previous_digest_expires_at: NullableTimestamp;
  regenerated_at: NullableTimestamp;
  last_used_at: NullableTimestamp;
  last_used_source: string | null;
  revoked_at: NullableTimestamp;
  revoked_by: string | null;
  disabled_at: NullableTimestamp;
  disabled_by: string | null;
  deleted_at: NullableTimestamp;
  deleted_by: string | null;
  /** The owner's current group, kept by a trigger (group admins' lists): never written by code. */
  owner_group_id: ColumnType<string | null, never, never>;
  /** When a validator last saw the value a RegenerateToken replaced. */
  previous_value_last_used_at: Generated<Date | null>;
  /** After a regenerate with a grace period: revoke the previous value once unseen this long; null or 0: never early. */
  rotation_quiet_seconds: Generated<number | null>;
  /** When the rotation's outcome was settled (previous value revoked early, or the grace ended). */
  rotation_settled_at: Generated<Date | null>;
}

export interface TokenUseSourceTable {
  id: ColumnType<string | number | bigint, never, never>;
  token_id: string;
  surface: string;
  address: string;
  route: string;
  previous_value: boolean;
  first_seen_at: Timestamp;
  last_seen_at: Timestamp;
  use_count: Int8;
}

export interface ChangeCounterTable {
  id: number;
  seq: Int8;
}

export interface ChangeLogTable {
  seq: Int8;
  /** A serialized tessera.feed.v1.ChangeEvent. */
  event: Buffer | Uint8Array;
  committed_at: DefaultedTimestamp;
}

export interface AuditLogTable {
  /** Generated (identity column): never inserted. */
  id: ColumnType<string | number | bigint, never, never>;
  at: DefaultedTimestamp;
  action: string;
  actor_id: string | null;
  actor_token_id: string | null;
  organisation_id: string | null;
  token_id: string | null;
  principal_id: string | null;
  /** Where the call came from: peer address and user agent. */
  source: string | null;
  details: ColumnType<Record<string, unknown>, string, string>;
  /** The principal's current group, kept by a trigger (group admins' lists): never written by code. */
  principal_group_id: ColumnType<string | null, never, never>;
}

export interface Database {
  organisation: OrganisationTable;
  group: GroupTable;
  principal: PrincipalTable;
  token: TokenTable;
  change_counter: ChangeCounterTable;
  change_log: ChangeLogTable;
  audit_log: AuditLogTable;
  token_use_source: TokenUseSourceTable;
}

export type OrganisationRow = Selectable<OrganisationTable>;
export type GroupRow = Selectable<GroupTable>;
export type PrincipalRow = Selectable<PrincipalTable>;
export type TokenRow = Selectable<TokenTable>;
export type NewToken = Insertable<TokenTable>;
export type TokenUpdate = Updateable<TokenTable>;
export type NewPrincipal = Insertable<PrincipalTable>;
/** An audit event as callers see it (without the column that only serves group admins' lists). */
export type AuditRow = Omit<Selectable<AuditLogTable>, "principal_group_id">;
