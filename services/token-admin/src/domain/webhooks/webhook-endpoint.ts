import type { WebhookEndpointRow } from "@tessera/shared/db/schema";
import { isEventName, type EventName } from "@tessera/shared/feed/announcements";
import { TesseraError } from "@tessera/shared/errors/tessera-error";
import type { Kysely } from "kysely";
import type { Database } from "@tessera/shared/db/schema";
import { authorize, type AdminRpc, type Target } from "../access/authorize.js";
import type { Caller } from "../access/caller.js";
import type { AdminDeps } from "../admin-deps.js";
import { findEndpoint } from "../../store/webhook-store.js";
import type { EndpointUrlCheck, SecretBox } from "./webhook-ports.js";

/** What the webhook use cases need beyond every admin use case's deps. */
export interface WebhookDeps extends AdminDeps {
  readonly webhookSecrets: SecretBox;
  readonly checkEndpointUrl: EndpointUrlCheck;
}

/** An endpoint as the admin API shows it: never its secret. */
export interface WebhookEndpoint {
  readonly id: string;
  /** null: the instance's endpoint. */
  readonly organisationId: string | null;
  readonly url: string;
  readonly description: string;
  readonly events: readonly EventName[];
  readonly enabled: boolean;
  readonly createdAt: Date;
  readonly updatedAt: Date;
  readonly pendingDeliveries: number;
  readonly deadDeliveries: number;
}

export function endpointFromRow(row: WebhookEndpointRow, counts?: { pending: number; dead: number }): WebhookEndpoint {
  return {
    id: row.id,
    organisationId: row.organisation_id,
    url: row.url,
    description: row.description,
    events: row.events.filter(isEventName),
    enabled: row.enabled,
    createdAt: row.created_at,
    updatedAt: row.updated_at,
    pendingDeliveries: counts?.pending ?? 0,
    deadDeliveries: counts?.dead ?? 0,
  };
}

/**
 * Where an endpoint sits for authorization. The instance's endpoint belongs to
 * no organisation, so only "all" reach (admins) extends to it.
 */
export function endpointTarget(organisationId: string | null): Target {
  return { organisationId: organisationId ?? "", groupId: null, principalId: null };
}

/** Reads an endpoint and authorises `rpc` on it; one the caller may not see is not found. */
export async function authorizedEndpoint(db: Kysely<Database>, caller: Caller, rpc: AdminRpc, id: string): Promise<WebhookEndpointRow> {
  const row = await findEndpoint(db, id);
  if (!row) throw new TesseraError("not_found", `webhook endpoint ${id} not found`);
  authorize(caller, rpc, endpointTarget(row.organisation_id), "ListWebhookEndpoints", `webhook endpoint ${id}`);
  return row;
}
