import { timestampFromDate } from "@bufbuild/protobuf/wkt";
import { useId, useState } from "preact/hooks";
import type { AuditEvent } from "@tessera/shared/gen/tessera/v1/audit_pb";
import { useConsole } from "../console-context.js";
import { formatTime } from "../format.js";
import { actionLabel } from "../labels.js";
import { useLoad } from "../use-load.js";

/** "2026-12-01T10:00" from a datetime-local field, read in the browser's zone; "" → unset. */
const fromLocal = (value: string) => (value ? timestampFromDate(new Date(value)) : undefined);

function target(event: AuditEvent): string {
  const parts: string[] = [];
  if (event.tokenId) parts.push(`token ${event.tokenName || event.tokenId.slice(0, 8)}`);
  if (event.principalId) parts.push(`${event.tokenId ? "of " : ""}${event.principalName || event.principalId.slice(0, 8)}`);
  return parts.join(" ") || "—";
}

/** Details worth a glance, without the JSON punctuation. */
function details(event: AuditEvent): string {
  return Object.entries(event.details ?? {})
    .filter(([, v]) => v !== null && v !== "")
    .map(([k, v]) => `${k.replace(/_/g, " ")}: ${Array.isArray(v) ? v.join(", ") : String(v)}`)
    .join("; ");
}

/** Who did what to which token or principal, when, from where — with names. */
export function AuditScreen() {
  const { client, organisation } = useConsole();
  const ids = { actor: useId(), subject: useId(), action: useId(), from: useId(), until: useId(), token: useId() };
  const [filter, setFilter] = useState({ actorId: "", principalId: "", tokenId: "", action: "", from: "", until: "" });
  const [pages, setPages] = useState<string[]>([""]);
  const people = useLoad(async () => (await client.listPrincipals({ pageSize: 500 })).principals, []);
  const events = useLoad(
    () =>
      client.listAuditEvents({
        actorId: filter.actorId,
        principalId: filter.principalId,
        tokenId: filter.tokenId.trim(),
        action: filter.action,
        startTime: fromLocal(filter.from),
        endTime: fromLocal(filter.until),
        pageSize: 50,
        pageToken: pages.at(-1)!,
      }),
    [filter, pages],
  );
  const set = (key: keyof typeof filter) => (e: { currentTarget: { value: string } }) => {
    setFilter({ ...filter, [key]: e.currentTarget.value });
    setPages([""]);
  };
  const principalOptions = people.data?.map((p) => (
    <option key={p.id} value={p.id}>
      {p.name}
    </option>
  ));
  return (
    <section>
      <form class="filters" onSubmit={(e) => e.preventDefault()}>
        <div class="field">
          <label for={ids.actor}>Who</label>
          <select id={ids.actor} value={filter.actorId} onChange={set("actorId")}>
            <option value="">Anyone</option>
            {principalOptions}
          </select>
        </div>
        <div class="field">
          <label for={ids.subject}>Concerning principal</label>
          <select id={ids.subject} value={filter.principalId} onChange={set("principalId")}>
            <option value="">Anyone</option>
            {principalOptions}
          </select>
        </div>
        <div class="field">
          <label for={ids.token}>Token id</label>
          <input id={ids.token} value={filter.tokenId} onChange={set("tokenId")} pattern="[0-9a-fA-F-]{36}" />
        </div>
        <div class="field">
          <label for={ids.action}>Action</label>
          <select id={ids.action} value={filter.action} onChange={set("action")}>
            <option value="">Any</option>
            {Object.entries(actionLabel).map(([value, label]) => (
              <option key={value} value={value}>
                {label}
              </option>
            ))}
          </select>
        </div>
        <div class="field">
          <label for={ids.from}>From</label>
          <input id={ids.from} type="datetime-local" value={filter.from} onChange={set("from")} />
        </div>
        <div class="field">
          <label for={ids.until}>Until</label>
          <input id={ids.until} type="datetime-local" value={filter.until} onChange={set("until")} />
        </div>
      </form>
      {events.error && (
        <p role="alert" class="error">
          {events.error}
        </p>
      )}
      <div class="table-wrap">
        <table>
          <caption>
            Audit log, newest first, times in {organisation.timeZone}
            {events.loading ? " (loading)" : ""}
          </caption>
          <thead>
            <tr>
              <th scope="col">When</th>
              <th scope="col">Who</th>
              <th scope="col">Did</th>
              <th scope="col">To</th>
              <th scope="col">From where</th>
              <th scope="col">Details</th>
            </tr>
          </thead>
          <tbody>
            {events.data?.events.map((event) => (
              <tr key={event.id}>
                <td>{formatTime(event.time, organisation.timeZone)}</td>
                <th scope="row">{event.actorName || (event.actorId ? event.actorId.slice(0, 8) : "Tessera")}</th>
                <td>{actionLabel[event.action] ?? event.action}</td>
                <td>{target(event)}</td>
                <td>{event.source || "—"}</td>
                <td class="details">{details(event)}</td>
              </tr>
            ))}
          </tbody>
        </table>
        {events.data?.events.length === 0 && <p class="empty">Nothing recorded matches.</p>}
      </div>
      <nav class="pager" aria-label="Audit pages">
        <button type="button" disabled={pages.length === 1} onClick={() => setPages(pages.slice(0, -1))}>
          Newer
        </button>
        <button type="button" disabled={!events.data?.nextPageToken} onClick={() => setPages([...pages, events.data!.nextPageToken])}>
          Older
        </button>
      </nav>
    </section>
  );
}
