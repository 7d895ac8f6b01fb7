import type { WebhookDeliveryStateName } from "@tessera/shared/db/schema";
import { isEventName, type EventName } from "@tessera/shared/feed/announcements";
import { listDeliveries, replayDeliveries } from "../../store/webhook-store.js";
import type { Caller } from "../access/caller.js";
import { commitChange } from "../commit-change.js";
import { authorizedEndpoint, type WebhookDeps } from "./webhook-endpoint.js";
import { deliveryWebhookId } from "./webhook-payload.js";

export interface WebhookDelivery {
  /** The webhook-id header. */
  readonly id: string;
  readonly endpointId: string;
  readonly event: EventName | undefined;
  readonly state: WebhookDeliveryStateName;
  readonly attempts: number;
  readonly createdAt: Date;
  readonly nextAttemptAt: Date;
  readonly deliveredAt: Date | null;
  readonly lastError: string | null;
  readonly payload: string;
  /** The row's own id: what a replay names. */
  readonly rowId: string;
}

/** An endpoint's deliveries, newest first, at most `limit`. */
export async function listWebhookDeliveries(deps: WebhookDeps, caller: Caller, endpointId: string, state: WebhookDeliveryStateName | undefined, limit: number): Promise<WebhookDelivery[]> {
  await authorizedEndpoint(deps.db, caller, "ListWebhookDeliveries", endpointId);
  const rows = await listDeliveries(deps.db, endpointId, state, limit);
  return rows.map((row) => ({
    id: deliveryWebhookId(row),
    rowId: row.id,
    endpointId: row.endpoint_id,
    event: isEventName(row.event_type) ? row.event_type : undefined,
    state: row.state,
    attempts: row.attempts,
    createdAt: row.created_at,
    nextAttemptAt: row.next_attempt_at,
    deliveredAt: row.delivered_at,
    lastError: row.last_error,
    payload: row.payload,
  }));
}

/** Queues dead letters again (all of the endpoint's, or those named by webhook-id); returns how many. */
export async function replayWebhookDeliveries(deps: WebhookDeps, caller: Caller, endpointId: string, webhookIds: readonly string[] | undefined): Promise<number> {
  const endpoint = await authorizedEndpoint(deps.db, caller, "ReplayWebhookDeliveries", endpointId);
  const { result } = await commitChange(deps, async (trx, change) => {
    let rowIds: string[] | undefined;
    if (webhookIds) {
      // Named by webhook-id, as receivers and listings know them: msg_<seq>_<position>,
      // or the id stored on a delivery queued directly (a honeytoken presentation).
      const keys = webhookIds.map((id) => /^msg_(\d+)_(\d+)$/.exec(id)).filter((m): m is RegExpExecArray => m !== null);
      const stored = webhookIds.filter((id) => id.startsWith("msg_honeytoken_"));
      if (keys.length === 0 && stored.length === 0) return 0;
      const rows = await trx.selectFrom("webhook_delivery").select("id").where("endpoint_id", "=", endpointId)
        .where((eb) => eb.or([
          ...keys.map((m) => eb.and([eb("seq", "=", m[1]!), eb("position", "=", Number(m[2])), eb("webhook_id", "is", null)])),
          ...(stored.length > 0 ? [eb("webhook_id", "in", stored)] : []),
        ]))
        .execute();
      rowIds = rows.map((row) => row.id);
      if (rowIds.length === 0) return 0;
    }
    const replayed = await replayDeliveries(trx, endpointId, rowIds);
    change.audit({
      action: "webhook.replay", actorId: caller.principalId, actorTokenId: caller.tokenId, organisationId: endpoint.organisation_id, source: caller.source,
      details: { endpoint_id: endpointId, replayed },
    });
    return replayed;
  });
  return result;
}
