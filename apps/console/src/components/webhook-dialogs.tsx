import { useId, useState } from "preact/hooks";
import { Role } from "@tessera/shared/gen/tessera/v1/identity_pb";
import { EventType } from "@tessera/shared/gen/tessera/v1/events_pb";
import type { WebhookEndpoint } from "@tessera/shared/gen/tessera/v1/webhooks_pb";
import { errorMessage } from "../api.js";
import { useConsole } from "../console-context.js";
import { eventLabel } from "../labels.js";
import { useLoad } from "../use-load.js";
import { DialogFooter } from "./dialog-footer.js";
import { Modal } from "./modal.js";
import { AlertActions } from "./alert-actions.js";

/** Every event an endpoint may subscribe to, in the vocabulary's order. */
const eventTypes = (Object.values(EventType).filter((v) => typeof v === "number") as EventType[]).filter((e) => e !== EventType.UNSPECIFIED);

/** CreateWebhookEndpointRequest.organisation_id for the whole instance (admins only). */
const instanceScope = "*";

/** Registers an endpoint; token-admin checks the URL, the events and who may; its refusal is shown as given. */
export function CreateWebhookDialog({ onCreated, onCancel }: { onCreated: (endpoint: WebhookEndpoint, secret: string) => void; onCancel: () => void }) {
  const { client, webhooks, caller, organisation } = useConsole();
  const ids = { url: useId(), description: useId(), scope: useId() };
  const isAdmin = caller.role === Role.ADMIN;
  const [url, setUrl] = useState("");
  const [description, setDescription] = useState("");
  const [events, setEvents] = useState<ReadonlySet<EventType>>(new Set());
  const [scope, setScope] = useState(organisation.id);
  const [error, setError] = useState<string>();
  const [busy, setBusy] = useState(false);
  const organisations = useLoad(async () => (isAdmin ? (await client.listOrganisations({ pageSize: 500 })).organisations : []), [isAdmin]);

  const submit = async (event: Event) => {
    event.preventDefault();
    setBusy(true);
    setError(undefined);
    try {
      const created = await webhooks.createWebhookEndpoint({ url, description, events: [...events], organisationId: scope });
      onCreated(created.endpoint!, created.secret);
    } catch (err) {
      setError(errorMessage(err));
      setBusy(false);
    }
  };

  return (
    <Modal title="Add a webhook endpoint" onDismiss={onCancel}>
      <form onSubmit={submit}>
        <div class="field">
          <label for={ids.url}>URL</label>
          <input id={ids.url} type="url" required maxLength={2048} placeholder="https://hooks.example.com/tessera" value={url} onInput={(e) => setUrl(e.currentTarget.value)} />
        </div>
        <div class="field">
          <label for={ids.description}>Description</label>
          <input id={ids.description} maxLength={200} value={description} onInput={(e) => setDescription(e.currentTarget.value)} />
        </div>
        {isAdmin && (
          <div class="field">
            <label for={ids.scope}>Events from</label>
            <select id={ids.scope} value={scope} onChange={(e) => setScope(e.currentTarget.value)}>
              {(organisations.data ?? [organisation]).map((o) => (
                <option key={o.id} value={o.id}>
                  {o.name}
                </option>
              ))}
              <option value={instanceScope}>The whole instance (every organisation)</option>
            </select>
          </div>
        )}
        <fieldset>
          <legend>Events</legend>
          {eventTypes.map((type) => (
            <label key={type} class="inline">
              <input
                type="checkbox"
                checked={events.has(type)}
                onChange={() => {
                  const next = new Set(events);
                  next.has(type) ? next.delete(type) : next.add(type);
                  setEvents(next);
                }}
              />{" "}
              {eventLabel[type]}
            </label>
          ))}
        </fieldset>
        <DialogFooter error={error} onCancel={onCancel} submitLabel="Add endpoint" busy={busy} />
      </form>
    </Modal>
  );
}

/** How long the old secret keeps signing beside the new one (RotateWebhookSecretRequest.overlap_seconds). */
const overlaps = [
  { seconds: 0, label: "Not at all: it stops at once" },
  { seconds: 3600, label: "1 hour" },
  { seconds: 86400, label: "1 day" },
  { seconds: 7 * 86400, label: "7 days" },
];

/** Asks how long the old secret overlaps, then rotates; the new secret goes to `onRotated`, to be shown once. */
export function RotateWebhookDialog({ endpoint, onRotated, onCancel }: { endpoint: WebhookEndpoint; onRotated: (secret: string) => void; onCancel: () => void }) {
  const { webhooks } = useConsole();
  const overlapId = useId();
  const [overlap, setOverlap] = useState(86400);
  const [error, setError] = useState<string>();
  const [busy, setBusy] = useState(false);
  const submit = async (event: Event) => {
    event.preventDefault();
    setBusy(true);
    setError(undefined);
    try {
      onRotated((await webhooks.rotateWebhookSecret({ endpointId: endpoint.id, overlapSeconds: overlap })).secret);
    } catch (err) {
      setError(errorMessage(err));
      setBusy(false);
    }
  };
  return (
    <Modal title={`Rotate the secret of ${endpoint.url}`} onDismiss={onCancel}>
      <form onSubmit={submit}>
        <div class="field">
          <label for={overlapId}>The old secret keeps signing</label>
          <select id={overlapId} value={overlap} onChange={(e) => setOverlap(Number(e.currentTarget.value))}>
            {overlaps.map((o) => (
              <option key={o.seconds} value={o.seconds}>
                {o.label}
              </option>
            ))}
          </select>
          <p class="hint">While both sign, each delivery carries both signatures, so receivers can switch without missing one.</p>
        </div>
        <DialogFooter error={error} onCancel={onCancel} submitLabel="Rotate secret" busy={busy} />
      </form>
    </Modal>
  );
}

/** The delete confirmation: an alertdialog, focus on Cancel, saying what is lost. */
export function DeleteWebhookDialog({ endpoint, onDeleted, onCancel }: { endpoint: WebhookEndpoint; onDeleted: () => void; onCancel: () => void }) {
  const { webhooks } = useConsole();
  const describedBy = useId();
  const waiting = Number(endpoint.pendingDeliveries + endpoint.deadDeliveries);
  return (
    <Modal title={`Delete the endpoint ${endpoint.url}?`} role="alertdialog" onDismiss={onCancel} describedBy={describedBy}>
      <p id={describedBy}>
        No more events are sent to it, and its deliveries are removed{waiting > 0 ? `, including ${waiting} not yet delivered` : ""}. This cannot be undone.
      </p>
      <AlertActions
        verb="Delete"
        onConfirm={async () => {
          await webhooks.deleteWebhookEndpoint({ endpointId: endpoint.id });
          onDeleted();
        }}
        onCancel={onCancel}
      />
    </Modal>
  );
}
