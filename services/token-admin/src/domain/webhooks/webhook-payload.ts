import { eventNameOf, type EventName } from "@tessera/shared/feed/announcements";
import type { Announcement } from "@tessera/shared/gen/tessera/feed/v1/feed_pb";
import { TokenLevel } from "@tessera/shared/gen/tessera/v1/token_pb";

const levelNames: Record<TokenLevel, string> = { [TokenLevel.UNSPECIFIED]: "unspecified", [TokenLevel.USER]: "user", [TokenLevel.GROUP]: "group", [TokenLevel.ORG]: "org" };

/** The webhook-id of an event: the same for every endpoint, attempt and replay, so receivers deduplicate by it. */
export const webhookIdOf = (seq: bigint, position: number) => `msg_${seq}_${position}`;

/**
 * The webhook-id of a presentation of a honeytoken: from its audit row, since it
 * has no change_log position (see record-honeytoken-uses.ts). Stable across
 * attempts and replays, the same for every endpoint, never a msg_<seq>_<position>.
 */
export const honeytokenWebhookIdOf = (auditId: string) => `msg_honeytoken_${auditId}`;

/** A queued delivery's webhook-id: stored for direct deliveries, else its feed position's. */
export const deliveryWebhookId = (row: { seq: string | number | bigint; position: number; webhook_id: string | null }) =>
  row.webhook_id ?? webhookIdOf(BigInt(row.seq), row.position);

const iso = (ms: bigint) => (ms === 0n ? null : new Date(Number(ms)).toISOString());

/**
 * The JSON body a receiver gets, in the Standard Webhooks shape
 * ({type, timestamp, data}). Built from what the change recorded at commit,
 * never from the token's current row: a token's value and digest never appear.
 */
export function webhookPayload(name: EventName, announcement: Announcement, seq: bigint, position: number, committedAtMs: bigint): string {
  return payloadOf(name, announcement, webhookIdOf(seq, position), Number(seq), committedAtMs);
}

/**
 * The payload of an event that never entered change_log (a honeytoken
 * presentation): the same shape, its own id, and feed_seq null — it has no
 * feed position.
 */
export function directWebhookPayload(name: EventName, announcement: Announcement, id: string, committedAtMs: bigint): string {
  return payloadOf(name, announcement, id, null, committedAtMs);
}

function payloadOf(name: EventName, announcement: Announcement, id: string, feedSeq: number | null, committedAtMs: bigint): string {
  const token = announcement.token;
  return JSON.stringify({
    type: name,
    timestamp: new Date(Number(committedAtMs)).toISOString(),
    data: {
      id,
      feed_seq: feedSeq,
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
