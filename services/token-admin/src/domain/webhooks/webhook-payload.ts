import { eventNameOf, type EventName } from "@tessera/shared/feed/announcements";
import type { Announcement } from "@tessera/shared/gen/tessera/feed/v1/feed_pb";
import { TokenLevel } from "@tessera/shared/gen/tessera/v1/token_pb";

const levelNames: Record<TokenLevel, string> = { [TokenLevel.UNSPECIFIED]: "unspecified", [TokenLevel.USER]: "user", [TokenLevel.GROUP]: "group", [TokenLevel.ORG]: "org" };

/** The webhook-id of an event: the same for every endpoint, attempt and replay, so receivers deduplicate by it. */
export const webhookIdOf = (seq: bigint, position: number) => `msg_${seq}_${position}`;

const iso = (ms: bigint) => (ms === 0n ? null : new Date(Number(ms)).toISOString());

/**
 * The JSON body a receiver gets, in the Standard Webhooks shape
 * ({type, timestamp, data}). Built from what the change recorded at commit,
 * never from the token's current row: a token's value and digest never appear.
 */
export function webhookPayload(name: EventName, announcement: Announcement, seq: bigint, position: number, committedAtMs: bigint): string {
  const token = announcement.token;
  return JSON.stringify({
    type: name,
    timestamp: new Date(Number(committedAtMs)).toISOString(),
    data: {
      id: webhookIdOf(seq, position),
      feed_seq: Number(seq),
      organisation_id: announcement.organisationId || null,
      principal_id: announcement.principalId || null,
      actor_id: announcement.actorId || null,
      ...(token && {
        token: {
          id: token.id,
          name: token.name,
          owner_id: token.ownerId,
          group_id: token.groupId || null,
          level: levelNames[token.level] ?? "unspecified",
          scopes: token.scopes,
          expires_at: iso(token.expiresAtMs),
          display_hint: token.displayHint,
        },
      }),
      details: announcement.details,
    },
  });
}

/** The event's name when the endpoint wants it; undefined otherwise (or when this build does not know the type). */
export function wantedEvent(announcement: Announcement, endpoint: { organisation_id: string | null; events: readonly string[] }): EventName | undefined {
  const name = eventNameOf(announcement.type);
  if (!name || !endpoint.events.includes(name)) return undefined;
  // An organisation's endpoint hears only its organisation; the instance's hears all.
  if (endpoint.organisation_id !== null && endpoint.organisation_id !== announcement.organisationId) return undefined;
  return name;
}
