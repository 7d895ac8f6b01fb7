import type { ServiceImpl } from "@connectrpc/connect";
import { timestampFromDate } from "@bufbuild/protobuf/wkt";
import { create } from "@bufbuild/protobuf";
import type { WebhookDeliveryStateName } from "@tessera/shared/db/schema";
import { eventNameOf, eventTypeOf, type EventName } from "@tessera/shared/feed/announcements";
import { invalidArgument } from "@tessera/shared/errors/tessera-error";
import type { EventType } from "@tessera/shared/gen/tessera/v1/events_pb";
import {
  WebhookDeliverySchema, WebhookDeliveryState, WebhookEndpointSchema, type WebhookService,
} from "@tessera/shared/gen/tessera/v1/webhooks_pb";
import type { WebhookDeps, WebhookEndpoint } from "../domain/webhooks/webhook-endpoint.js";
import type { WebhookDelivery } from "../domain/webhooks/webhook-deliveries.js";
import { listWebhookDeliveries, replayWebhookDeliveries } from "../domain/webhooks/webhook-deliveries.js";
import {
  createWebhookEndpoint, deleteWebhookEndpoint, listWebhookEndpoints, rotateWebhookSecret, updateWebhookEndpoint,
} from "../domain/webhooks/manage-webhook-endpoints.js";
import { callerOf } from "./auth-interceptor.js";
import { parseEnum, parseId, parseOptionalId, parseOptionalText } from "./parse.js";

const stateNames: Partial<Record<WebhookDeliveryState, WebhookDeliveryStateName>> = {
  [WebhookDeliveryState.PENDING]: "pending",
  [WebhookDeliveryState.DELIVERED]: "delivered",
  [WebhookDeliveryState.DEAD]: "dead",
};
const stateOf: Record<WebhookDeliveryStateName, WebhookDeliveryState> = {
  pending: WebhookDeliveryState.PENDING,
  delivered: WebhookDeliveryState.DELIVERED,
  dead: WebhookDeliveryState.DEAD,
};

/** Subscribed events: known types, no repeats; `required` refuses an empty list. */
function parseEvents(field: string, values: readonly EventType[], required: boolean): EventName[] | undefined {
  if (values.length === 0) {
    if (required) throw invalidArgument(field, "at least one event type");
    return undefined;
  }
  if (values.length > 32) throw invalidArgument(field, "at most 32 event types");
  const names = new Set<EventName>();
  values.forEach((value, i) => {
    const name = eventNameOf(value);
    if (!name) throw invalidArgument(`${field}[${i}]`, "is not a known event type");
    names.add(name);
  });
  return [...names];
}

function endpointToProto(endpoint: WebhookEndpoint) {
  return create(WebhookEndpointSchema, {
    id: endpoint.id,
    organisationId: endpoint.organisationId ?? "",
    url: endpoint.url,
    description: endpoint.description,
    events: endpoint.events.map(eventTypeOf),
    enabled: endpoint.enabled,
    createTime: timestampFromDate(endpoint.createdAt),
    updateTime: timestampFromDate(endpoint.updatedAt),
    pendingDeliveries: BigInt(endpoint.pendingDeliveries),
    deadDeliveries: BigInt(endpoint.deadDeliveries),
  });
}

function deliveryToProto(delivery: WebhookDelivery) {
  return create(WebhookDeliverySchema, {
    id: delivery.id,
    endpointId: delivery.endpointId,
    event: delivery.event ? eventTypeOf(delivery.event) : 0,
    state: stateOf[delivery.state],
    attempts: delivery.attempts,
    createTime: timestampFromDate(delivery.createdAt),
    nextAttemptTime: delivery.state === "pending" ? timestampFromDate(delivery.nextAttemptAt) : undefined,
    deliveredTime: delivery.deliveredAt ? timestampFromDate(delivery.deliveredAt) : undefined,
    lastError: delivery.lastError ?? "",
    payload: delivery.payload,
  });
}

const parseDescription = (value: string) => parseOptionalText("description", value, 500) ?? "";

/** WebhookService: each handler parses, calls one use case, maps the result. */
export function webhookService(deps: WebhookDeps): ServiceImpl<typeof WebhookService> {
  return {
    async createWebhookEndpoint(req, ctx) {
      const organisationId = req.organisationId === "*" ? null : parseOptionalId("organisation_id", req.organisationId);
      const created = await createWebhookEndpoint(deps, callerOf(ctx), {
        organisationId, url: req.url.trim(), description: parseDescription(req.description), events: parseEvents("events", req.events, true)!,
      });
      return { endpoint: endpointToProto(created.endpoint), secret: created.secret };
    },
    async listWebhookEndpoints(req, ctx) {
      const endpoints = await listWebhookEndpoints(deps, callerOf(ctx), parseOptionalId("organisation_id", req.organisationId));
      return { endpoints: endpoints.map(endpointToProto) };
    },
    async updateWebhookEndpoint(req, ctx) {
      const endpoint = await updateWebhookEndpoint(deps, callerOf(ctx), parseId("endpoint_id", req.endpointId), {
        url: req.url?.trim(),
        description: req.description === undefined ? undefined : parseDescription(req.description),
        events: parseEvents("events", req.events, false),
        enabled: req.enabled,
      });
      return { endpoint: endpointToProto(endpoint) };
    },
    async deleteWebhookEndpoint(req, ctx) {
      await deleteWebhookEndpoint(deps, callerOf(ctx), parseId("endpoint_id", req.endpointId));
      return {};
    },
    async rotateWebhookSecret(req, ctx) {
      return { secret: await rotateWebhookSecret(deps, callerOf(ctx), parseId("endpoint_id", req.endpointId), req.overlapSeconds ?? 86_400) };
    },
    async listWebhookDeliveries(req, ctx) {
      const limit = req.pageSize === 0 ? 100 : req.pageSize;
      if (limit > 1000) throw invalidArgument("page_size", "at most 1000");
      const state = parseEnum("state", req.state, stateNames);
      const deliveries = await listWebhookDeliveries(deps, callerOf(ctx), parseId("endpoint_id", req.endpointId), state, limit);
      return { deliveries: deliveries.map(deliveryToProto) };
    },
    async replayWebhookDeliveries(req, ctx) {
      if (req.deliveryIds.length > 1000) throw invalidArgument("delivery_ids", "at most 1000");
      req.deliveryIds.forEach((id, i) => {
        // msg_<seq>_<position>, or msg_honeytoken_<audit id> (a delivery queued directly).
        if (!/^msg_(\d{1,20}_\d{1,6}|honeytoken_\d{1,20})$/.test(id)) throw invalidArgument(`delivery_ids[${i}]`, "must be a webhook-id such as msg_42_0");
      });
      const replayed = await replayWebhookDeliveries(deps, callerOf(ctx), parseId("endpoint_id", req.endpointId), req.deliveryIds.length > 0 ? req.deliveryIds : undefined);
      return { replayed };
    },
  };
}
