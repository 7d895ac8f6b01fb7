import type { Transaction } from "kysely";
import type { Database, TokenRow } from "@tessera/shared/db/schema";
import { announcementRecord, type EventName } from "@tessera/shared/feed/announcements";
import { enqueueDirectDeliveries, lockSubscribedEndpoints, type DirectDelivery } from "../../store/webhook-store.js";
import { directWebhookPayload, honeytokenWebhookIdOf } from "./webhook-payload.js";

/** One recorded presentation of a honeytoken: its audit row's id and what the payload tells. */
export interface HoneytokenUseEvent {
  readonly auditId: string;
  readonly token: TokenRow;
  readonly details: Readonly<Record<string, string>>;
  readonly at: Date;
}

const eventName: EventName = "token.honeytoken_used";

/**
 * Queues `token.honeytoken_used` for every enabled endpoint subscribed to it
 * (the token's organisation's and the instance's), in the transaction that
 * audits the presentations, without a change_log row (see
 * record-honeytoken-uses.ts). The rows go through the dispatcher's ordinary
 * send, retry and dead-letter path; their webhook-id comes from the audit row.
 */
export async function queueHoneytokenWebhooks(trx: Transaction<Database>, uses: readonly HoneytokenUseEvent[]): Promise<void> {
  if (uses.length === 0) return;
  const endpoints = await lockSubscribedEndpoints(trx, [...new Set(uses.map((use) => use.token.organisation_id))], eventName);
  if (endpoints.length === 0) return;
  const deliveries = uses.map((use) => {
    const announcement = announcementRecord({ type: eventName, organisationId: use.token.organisation_id, token: use.token, details: use.details });
    const webhookId = honeytokenWebhookIdOf(use.auditId);
    const delivery: DirectDelivery = { webhookId, eventType: eventName, payload: directWebhookPayload(eventName, announcement, webhookId, BigInt(use.at.getTime())) };
    return { organisationId: use.token.organisation_id, delivery };
  });
  for (const endpoint of endpoints) {
    const wanted = deliveries.filter((d) => endpoint.organisation_id === null || endpoint.organisation_id === d.organisationId).map((d) => d.delivery);
    await enqueueDirectDeliveries(trx, endpoint, wanted);
  }
}
