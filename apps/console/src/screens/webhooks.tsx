import { useId, useState } from "preact/hooks";
import { Role } from "@tessera/shared/gen/tessera/v1/identity_pb";
import { WebhookDeliveryState, type WebhookEndpoint } from "@tessera/shared/gen/tessera/v1/webhooks_pb";
import { errorMessage } from "../api.js";
import { SecretDialog } from "../components/secret-dialog.js";
import { CreateWebhookDialog, DeleteWebhookDialog, RotateWebhookDialog } from "../components/webhook-dialogs.js";
import { useConsole } from "../console-context.js";
import { formatTime } from "../format.js";
import { deliveryStateLabel, eventLabel } from "../labels.js";
import { href } from "../use-route.js";
import { useLoad } from "../use-load.js";

type Open =
  | { kind: "create" }
  | { kind: "secret"; title: string; value: string }
  | { kind: "rotate"; endpoint: WebhookEndpoint }
  | { kind: "delete"; endpoint: WebhookEndpoint };

/** Webhook endpoints (a list), or one endpoint's deliveries when `endpointId` is given. */
export function WebhooksScreen({ endpointId }: { endpointId?: string | undefined }) {
  const { webhooks, client, caller } = useConsole();
  const endpoints = useLoad(() => webhooks.listWebhookEndpoints({}), []);
  // Admins see every organisation's endpoints: name the organisation, not its id.
  const organisations = useLoad(async () => (caller.role === Role.ADMIN ? (await client.listOrganisations({ pageSize: 500 })).organisations : []), []);
  const [open, setOpen] = useState<Open>();
  const [notice, setNotice] = useState("");
  const [error, setError] = useState<string>();

  const owner = (e: WebhookEndpoint) => (e.organisationId === "" ? "Instance (every organisation)" : (organisations.data?.find((o) => o.id === e.organisationId)?.name ?? e.organisationId));
  const shown = endpointId ? endpoints.data?.endpoints.find((e) => e.id === endpointId) : undefined;

  const setEnabled = async (endpoint: WebhookEndpoint, enabled: boolean) => {
    setError(undefined);
    try {
      await webhooks.updateWebhookEndpoint({ endpointId: endpoint.id, enabled });
      setNotice(`${enabled ? "Enabled" : "Disabled"} ${endpoint.url}.`);
      endpoints.reload();
    } catch (err) {
      setError(errorMessage(err));
    }
  };

  const dialogs = (
    <>
      {open?.kind === "create" && (
        <CreateWebhookDialog
          onCancel={() => setOpen(undefined)}
          onCreated={(endpoint, secret) => {
            setNotice(`Added ${endpoint.url}.`);
            endpoints.reload();
            setOpen({ kind: "secret", title: `Signing secret for ${endpoint.url}`, value: secret });
          }}
        />
      )}
      {open?.kind === "rotate" && (
        <RotateWebhookDialog
          endpoint={open.endpoint}
          onCancel={() => setOpen(undefined)}
          onRotated={(secret) => {
            setNotice(`Rotated the secret of ${open.endpoint.url}.`);
            setOpen({ kind: "secret", title: `New signing secret for ${open.endpoint.url}`, value: secret });
          }}
        />
      )}
      {open?.kind === "delete" && (
        <DeleteWebhookDialog
          endpoint={open.endpoint}
          onCancel={() => setOpen(undefined)}
          onDeleted={() => {
            setNotice(`Deleted ${open.endpoint.url}.`);
            setOpen(undefined);
            if (endpointId) location.hash = href("webhooks");
            endpoints.reload();
          }}
        />
      )}
      {open?.kind === "secret" && <SecretDialog title={open.title} label="Signing secret" value={open.value} onClosed={() => setOpen(undefined)} />}
    </>
  );

  const messages = (
    <>
      {(error ?? endpoints.error) && (
        <p role="alert" class="error">
          {error ?? endpoints.error}
        </p>
      )}
      <p role="status" class="announcement">
        {notice}
      </p>
    </>
  );

  if (endpointId) {
    return (
      <section>
        <p>
          <a href={href("webhooks")}>All endpoints</a>
        </p>
        {messages}
        {shown ? <Deliveries endpoint={shown} onReplayed={endpoints.reload} /> : endpoints.data && <p class="empty">There is no such endpoint, or you may not see it.</p>}
        {dialogs}
      </section>
    );
  }

  const list = endpoints.data?.endpoints ?? [];
  return (
    <section>
      <p>Token events are sent to these endpoints, signed by the Standard Webhooks scheme with each endpoint's secret.</p>
      <div class="toolbar">
        <button type="button" class="primary" onClick={() => setOpen({ kind: "create" })}>
          Add endpoint
        </button>
        <button type="button" onClick={endpoints.reload}>
          Refresh
        </button>
      </div>
      {messages}
      <div class="table-wrap">
        <table>
          <caption>Webhook endpoints</caption>
          <thead>
            <tr>
              <th scope="col">URL</th>
              <th scope="col">Events from</th>
              <th scope="col">Events</th>
              <th scope="col">State</th>
              <th scope="col">Pending</th>
              <th scope="col">Dead</th>
              <th scope="col">Actions</th>
            </tr>
          </thead>
          <tbody>
            {list.map((e) => (
              <tr key={e.id}>
                <th scope="row" class="mono">
                  <a href={href("webhooks", e.id)}>{e.url}</a>
                  {e.description && <div class="muted">{e.description}</div>}
                </th>
                <td>{owner(e)}</td>
                <td>{e.events.map((t) => eventLabel[t]).join(", ")}</td>
                <td>
                  <span class={`badge ${e.enabled ? "active" : "disabled"}`}>{e.enabled ? "Enabled" : "Disabled"}</span>
                </td>
                <td>{String(e.pendingDeliveries)}</td>
                <td>{String(e.deadDeliveries)}</td>
                <td class="row-actions">
                  <button type="button" aria-label={`${e.enabled ? "Disable" : "Enable"} ${e.url}`} onClick={() => setEnabled(e, !e.enabled)}>
                    {e.enabled ? "Disable" : "Enable"}
                  </button>
                  <button type="button" aria-label={`Rotate secret of ${e.url}`} onClick={() => setOpen({ kind: "rotate", endpoint: e })}>
                    Rotate secret
                  </button>
                  <button type="button" class="danger-text" aria-label={`Delete ${e.url}`} onClick={() => setOpen({ kind: "delete", endpoint: e })}>
                    Delete
                  </button>
                </td>
              </tr>
            ))}
          </tbody>
        </table>
        {endpoints.data && list.length === 0 && <p class="empty">No webhook endpoint yet.</p>}
      </div>
      {dialogs}
    </section>
  );
}

const states = [WebhookDeliveryState.UNSPECIFIED, WebhookDeliveryState.PENDING, WebhookDeliveryState.DELIVERED, WebhookDeliveryState.DEAD];

/** One endpoint's deliveries, newest first, filtered by state; dead letters can be sent again. */
function Deliveries({ endpoint, onReplayed }: { endpoint: WebhookEndpoint; onReplayed: () => void }) {
  const { webhooks, organisation } = useConsole();
  const filterId = useId();
  const [state, setState] = useState(WebhookDeliveryState.UNSPECIFIED);
  const [notice, setNotice] = useState("");
  const [error, setError] = useState<string>();
  const deliveries = useLoad(() => webhooks.listWebhookDeliveries({ endpointId: endpoint.id, state, pageSize: 100 }), [endpoint.id, state]);

  const replay = async (deliveryIds: string[]) => {
    setError(undefined);
    try {
      const { replayed } = await webhooks.replayWebhookDeliveries({ endpointId: endpoint.id, deliveryIds });
      setNotice(`Replayed ${replayed} ${replayed === 1 ? "delivery" : "deliveries"}.`);
      deliveries.reload();
      onReplayed();
    } catch (err) {
      setError(errorMessage(err));
    }
  };

  const rows = deliveries.data?.deliveries ?? [];
  return (
    <>
      <h2>Deliveries to {endpoint.url}</h2>
      <div class="toolbar">
        <label for={filterId}>State</label>
        <select id={filterId} value={state} onChange={(e) => setState(Number(e.currentTarget.value) as WebhookDeliveryState)}>
          {states.map((s) => (
            <option key={s} value={s}>
              {deliveryStateLabel[s]}
            </option>
          ))}
        </select>
        <button type="button" onClick={deliveries.reload}>
          Refresh
        </button>
        {endpoint.deadDeliveries > 0n && (
          <button type="button" onClick={() => replay([])}>
            Replay all dead deliveries
          </button>
        )}
      </div>
      {(error ?? deliveries.error) && (
        <p role="alert" class="error">
          {error ?? deliveries.error}
        </p>
      )}
      <p role="status" class="announcement">
        {notice}
      </p>
      <div class="table-wrap">
        <table>
          <caption>Deliveries, newest first ({organisation.timeZone})</caption>
          <thead>
            <tr>
              <th scope="col">Delivery</th>
              <th scope="col">Event</th>
              <th scope="col">State</th>
              <th scope="col">Attempts</th>
              <th scope="col">Created</th>
              <th scope="col">Last error</th>
              <th scope="col">Actions</th>
            </tr>
          </thead>
          <tbody>
            {rows.map((d) => (
              <tr key={d.id}>
                <th scope="row" class="mono">
                  {d.id}
                </th>
                <td>{eventLabel[d.event]}</td>
                <td>{deliveryStateLabel[d.state]}</td>
                <td>{d.attempts}</td>
                <td>{formatTime(d.createTime, organisation.timeZone)}</td>
                <td>{d.lastError}</td>
                <td class="row-actions">
                  {d.state === WebhookDeliveryState.DEAD && (
                    <button type="button" aria-label={`Replay delivery ${d.id}`} onClick={() => replay([d.id])}>
                      Replay
                    </button>
                  )}
                </td>
              </tr>
            ))}
          </tbody>
        </table>
        {deliveries.data && rows.length === 0 && <p class="empty">No delivery{state === WebhookDeliveryState.UNSPECIFIED ? "" : ` in state ${deliveryStateLabel[state]}`}.</p>}
      </div>
    </>
  );
}
