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
  /** Tokens unused this long are revoked by the system; null: never. */
  max_inactivity_seconds: ColumnType<number | null, number | null | undefined, number | null>;
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
  /** Where notices go; null: none are emailed. */
  email: ColumnType<string | null, string | null | undefined, string | null>;
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
  /** Why it was revoked: "manual", "inactivity", …; null while not revoked. */
  revocation_reason: ColumnType<string | null, string | null | undefined, string | null>;
  /** The owner's current group, kept by a trigger (group admins' lists): never written by code. */
  owner_group_id: ColumnType<string | null, never, never>;
  /** A decoy: validators refuse it as unknown and report every presentation. */
  honeytoken: ColumnType<boolean, boolean | undefined, boolean>;
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

/** Where each follower of change_log is: pruning keeps every row one of them has not passed. */
export interface ChangeFollowerTable {
  id: string;
  /** "validator" (forgotten once unheard for long), or a durable follower's kind ("webhook", …). */
  kind: string;
  applied_seq: Int8;
  last_seen_at: DefaultedTimestamp;
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

export interface WebhookEndpointTable {
  id: Generated<string>;
  /** null: the instance's endpoint, for every organisation's events. */
  organisation_id: string | null;
  url: string;
  description: Generated<string>;
  /** Event type names ("token.revoked", …). */
  events: string[];
  enabled: Generated<boolean>;
  /** The signing key, sealed under a key derived from the pepper. */
  secret: Buffer | Uint8Array;
  previous_secret: Buffer | Uint8Array | null;
  previous_secret_expires_at: NullableTimestamp;
  /** The last change_log position fanned out into deliveries (the follower's cursor). */
  cursor_seq: Int8;
  lease_owner: string | null;
  lease_until: NullableTimestamp;
  created_by: string | null;
  created_at: DefaultedTimestamp;
  updated_at: DefaultedTimestamp;
}

export type WebhookDeliveryStateName = "pending" | "delivered" | "dead";

export interface WebhookDeliveryTable {
  id: Generated<string>;
  endpoint_id: string;
  seq: Int8;
  /** The announcement's index within its change. */
  position: number;
  event_type: string;
  /** The JSON body, fixed when the delivery is made. */
  payload: string;
  state: ColumnType<WebhookDeliveryStateName, WebhookDeliveryStateName | undefined, WebhookDeliveryStateName>;
  attempts: Generated<number>;
  created_at: DefaultedTimestamp;
  next_attempt_at: DefaultedTimestamp;
  delivered_at: NullableTimestamp;
  last_error: string | null;
  /** Set on deliveries queued directly (not fanned out of change_log); null: msg_<seq>_<position>. */
  webhook_id: ColumnType<string | null, string | null | undefined, never>;
}

export interface TokenNoticeTable {
  token_id: string;
  /** "expiring" | "expired" | "inactivity". */
  kind: string;
  lead_seconds: Generated<number>;
  created_at: DefaultedTimestamp;
}

export interface EmailOutboxTable {
  id: Generated<string>;
  recipient: string;
  subject: string;
  body: string;
  state: ColumnType<"pending" | "sent" | "failed", "pending" | "sent" | "failed" | undefined, "pending" | "sent" | "failed">;
  attempts: Generated<number>;
  next_attempt_at: DefaultedTimestamp;
  lease_until: NullableTimestamp;
  sent_at: NullableTimestamp;
  last_error: string | null;
  created_at: DefaultedTimestamp;
}

export interface Database {
  organisation: OrganisationTable;
  group: GroupTable;
  principal: PrincipalTable;
  token: TokenTable;
  change_counter: ChangeCounterTable;
  change_log: ChangeLogTable;
  change_follower: ChangeFollowerTable;
  audit_log: AuditLogTable;
  webhook_endpoint: WebhookEndpointTable;
  webhook_delivery: WebhookDeliveryTable;
  token_notice: TokenNoticeTable;
  email_outbox: EmailOutboxTable;
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
export type WebhookEndpointRow = Selectable<WebhookEndpointTable>;
export type WebhookDeliveryRow = Selectable<WebhookDeliveryTable>;
