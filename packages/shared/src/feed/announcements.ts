import { create } from "@bufbuild/protobuf";
import type { TokenRow } from "../db/schema.js";
import { AnnouncementSchema, type Announcement } from "../gen/tessera/feed/v1/feed_pb.js";
import { EventType } from "../gen/tessera/v1/events_pb.js";
import { TokenLevel } from "../gen/tessera/v1/token_pb.js";

/**
 * The closed event vocabulary, as webhook payloads and subscriptions name it.
 * One table both ways: a name missing here is a compile error in `eventTypeOf`.
 */
export const eventNames = {
  "token.created": EventType.TOKEN_CREATED,
  "token.revoked": EventType.TOKEN_REVOKED,
  "token.disabled": EventType.TOKEN_DISABLED,
  "token.enabled": EventType.TOKEN_ENABLED,
  "token.deleted": EventType.TOKEN_DELETED,
  "token.regenerated": EventType.TOKEN_REGENERATED,
  "token.expiring": EventType.TOKEN_EXPIRING,
  "token.expired": EventType.TOKEN_EXPIRED,
  "token.leaked": EventType.TOKEN_LEAKED,
  "token.honeytoken_used": EventType.TOKEN_HONEYTOKEN_USED,
  "principal.disabled": EventType.PRINCIPAL_DISABLED,
  "tokens.revoked_issued_before": EventType.TOKENS_REVOKED_ISSUED_BEFORE,
} as const satisfies Record<string, EventType>;

export type EventName = keyof typeof eventNames;

const namesByType = new Map<EventType, EventName>(Object.entries(eventNames).map(([name, type]) => [type, name as EventName]));

export const allEventNames = Object.keys(eventNames) as EventName[];

/** The name of a wire event type; undefined for UNSPECIFIED or one this build does not know. */
export function eventNameOf(type: EventType): EventName | undefined {
  return namesByType.get(type);
}

export function eventTypeOf(name: EventName): EventType {
  return eventNames[name];
}

export function isEventName(value: string): value is EventName {
  return Object.hasOwn(eventNames, value);
}

/** What a change announces: built by use cases, stored in change_log with the change. */
export interface AnnouncementInput {
  readonly type: EventName;
  readonly organisationId: string;
  /** Token events: the token's row after the change (its value and digest never leave it). */
  readonly token?: TokenRow | undefined;
  /** The principal concerned; defaults to the token's owner. */
  readonly principalId?: string | undefined;
  /** undefined: the system did it. */
  readonly actorId?: string | undefined;
  readonly details?: Readonly<Record<string, string>> | undefined;
}

const levelOf = { user: TokenLevel.USER, group: TokenLevel.GROUP, org: TokenLevel.ORG } as const;

/** The feed form of an announcement: the token's facts copied, never its digest. */
export function announcementRecord(input: AnnouncementInput): Announcement {
  const token = input.token;
  return create(AnnouncementSchema, {
    type: eventTypeOf(input.type),
    organisationId: input.organisationId,
    token: token && {
      id: token.id,
      name: token.name,
      ownerId: token.owner_id,
      groupId: token.group_id ?? "",
      level: levelOf[token.level],
      scopes: token.scopes,
      expiresAtMs: BigInt(token.expires_at?.getTime() ?? 0),
      displayHint: token.display_hint,
    },
    principalId: input.principalId ?? token?.owner_id ?? "",
    actorId: input.actorId ?? "",
    details: { ...input.details },
  });
}
