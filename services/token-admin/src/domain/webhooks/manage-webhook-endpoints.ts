import type { EventName } from "@tessera/shared/feed/announcements";
import { invalidArgument, TesseraError } from "@tessera/shared/errors/tessera-error";
import { generateWebhookSecret } from "../../crypto/webhook-secrets.js";
import { findOrganisation } from "../../store/organisation-store.js";
import { countDeliveries, deleteEndpoint, insertEndpoint, listEndpoints, lockEndpoint, updateEndpoint } from "../../store/webhook-store.js";
import { authorize, reachOf } from "../access/authorize.js";
import type { Caller } from "../access/caller.js";
import { commitChange } from "../commit-change.js";
import { authorizedEndpoint, endpointFromRow, endpointTarget, type WebhookDeps, type WebhookEndpoint } from "./webhook-endpoint.js";

export interface NewEndpointInput {
  /** undefined: the caller's organisation; null: the instance. */
  readonly organisationId: string | null | undefined;
  readonly url: string;
  readonly description: string;
  readonly events: readonly EventName[];
}

export interface EndpointChange {
  readonly url?: string | undefined;
  readonly description?: string | undefined;
  readonly events?: readonly EventName[] | undefined;
  readonly enabled?: boolean | undefined;
}

const audited = (caller: Caller, action: string, organisationId: string | null, details: Record<string, unknown>) => ({
  action, actorId: caller.principalId, actorTokenId: caller.tokenId, organisationId, source: caller.source, details,
});

/** Registers an endpoint; its secret is returned here only. It hears of changes committed from now on. */
export async function createWebhookEndpoint(deps: WebhookDeps, caller: Caller, input: NewEndpointInput): Promise<{ endpoint: WebhookEndpoint; secret: string }> {
  const organisationId = input.organisationId === undefined ? caller.organisationId : input.organisationId;
  authorize(caller, "CreateWebhookEndpoint", endpointTarget(organisationId), "ListWebhookEndpoints", organisationId ? `organisation ${organisationId}` : "instance");
  if (organisationId && !(await findOrganisation(deps.db, organisationId))) throw new TesseraError("not_found", `organisation ${organisationId} not found`);
  // Resolved after authorization (a lookup is work), before anything is written.
  await deps.checkEndpointUrl(input.url);
  const secret = generateWebhookSecret();
  const { result } = await commitChange(deps, async (trx, change) => {
    const row = await insertEndpoint(trx, {
      organisation_id: organisationId, url: input.url, description: input.description, events: [...input.events],
      secret: deps.webhookSecrets.seal(secret), created_by: caller.principalId,
    });
    change.audit(audited(caller, "webhook.create", organisationId, { endpoint_id: row.id, url: input.url, events: input.events }));
    return row;
  });
  return { endpoint: endpointFromRow(result), secret };
}

/** The endpoints the caller may see: an admin's are all (or one organisation's), an org admin's its organisation's. */
export async function listWebhookEndpoints(deps: WebhookDeps, caller: Caller, organisationId: string | undefined): Promise<WebhookEndpoint[]> {
  const reach = reachOf(caller, "ListWebhookEndpoints");
  if (reach === "none") throw new TesseraError("permission_denied", "ListWebhookEndpoints is not allowed");
  const scope = reach === "all" ? organisationId : caller.organisationId;
  if (reach !== "all" && organisationId && organisationId !== caller.organisationId) throw new TesseraError("not_found", `organisation ${organisationId} not found`);
  const rows = await listEndpoints(deps.db, scope);
  const counts = await countDeliveries(deps.db, rows.map((row) => row.id));
  return rows.map((row) => endpointFromRow(row, counts.get(row.id)));
}

/** Changes an endpoint. Enabling it again starts it at the feed head: what happened while disabled is not sent. */
export async function updateWebhookEndpoint(deps: WebhookDeps, caller: Caller, id: string, change: EndpointChange): Promise<WebhookEndpoint> {
  await authorizedEndpoint(deps.db, caller, "UpdateWebhookEndpoint", id);
  if (change.url !== undefined) await deps.checkEndpointUrl(change.url);
  const { result } = await commitChange(deps, async (trx, pending) => {
    const current = await lockEndpoint(trx, id);
    if (!current) throw new TesseraError("not_found", `webhook endpoint ${id} not found`);
    const reenabling = change.enabled === true && !current.enabled;
    const row = await updateEndpoint(trx, id, {
      ...(change.url !== undefined && { url: change.url }),
      ...(change.description !== undefined && { description: change.description }),
      ...(change.events !== undefined && { events: [...change.events] }),
      ...(change.enabled !== undefined && { enabled: change.enabled }),
    }, reenabling);
    pending.audit(audited(caller, "webhook.update", row.organisation_id, { endpoint_id: id, url: change.url, events: change.events, enabled: change.enabled }));
    return row;
  });
  const counts = await countDeliveries(deps.db, [id]);
  return endpointFromRow(result, counts.get(id));
}

export async function deleteWebhookEndpoint(deps: WebhookDeps, caller: Caller, id: string): Promise<void> {
  const row = await authorizedEndpoint(deps.db, caller, "DeleteWebhookEndpoint", id);
  await commitChange(deps, async (trx, change) => {
    await deleteEndpoint(trx, id);
    change.audit(audited(caller, "webhook.delete", row.organisation_id, { endpoint_id: id, url: row.url }));
  });
}

const maxOverlapSeconds = 7 * 86_400;

/** A new signing secret, returned once; the old one signs beside it for `overlapSeconds`, so receivers can switch over. */
export async function rotateWebhookSecret(deps: WebhookDeps, caller: Caller, id: string, overlapSeconds: number): Promise<string> {
  if (!Number.isInteger(overlapSeconds) || overlapSeconds < 0 || overlapSeconds > maxOverlapSeconds) throw invalidArgument("overlap_seconds", `must be between 0 and ${maxOverlapSeconds}`);
  await authorizedEndpoint(deps.db, caller, "RotateWebhookSecret", id);
  const secret = generateWebhookSecret();
  await commitChange(deps, async (trx, change) => {
    const current = await lockEndpoint(trx, id);
    if (!current) throw new TesseraError("not_found", `webhook endpoint ${id} not found`);
    await updateEndpoint(trx, id, {
      secret: deps.webhookSecrets.seal(secret),
      previous_secret: overlapSeconds > 0 ? current.secret : null,
      previous_secret_expires_at: overlapSeconds > 0 ? new Date(deps.now().getTime() + overlapSeconds * 1000) : null,
    });
    change.audit(audited(caller, "webhook.rotate_secret", current.organisation_id, { endpoint_id: id, overlap_seconds: overlapSeconds }));
  });
  return secret;
}
