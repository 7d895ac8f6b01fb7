import { useEffect } from "preact/hooks";
import type { LiveValidator } from "@tessera/shared/gen/tessera/v1/admin_pb";
import { useConsole } from "../console-context.js";
import { useLoad } from "../use-load.js";

/** How often the screen re-reads the roster: about a heartbeat. */
const refreshMs = 2000;

/** Heard within this, a validator is reporting as it should (heartbeats come every second by default). */
const quietMs = 5000;

function freshness(v: LiveValidator): { text: string; tone: string } {
  const heardMs = v.sinceHeard ? Number(v.sinceHeard.seconds) * 1000 + v.sinceHeard.nanos / 1e6 : undefined;
  const heard = heardMs === undefined ? "not heard from since token-admin started" : `heard ${(heardMs / 1000).toFixed(1)} s ago`;
  if (heardMs === undefined || heardMs > quietMs) return { text: `Quiet: ${heard}`, tone: "soon" };
  if (v.lag > 0n) return { text: `Catching up: ${heard}`, tone: "soon" };
  return { text: `Current: ${heard}`, tone: "active" };
}

/** The live validators: applied seq, lag behind the feed head, when last heard. */
export function ValidatorsScreen() {
  const { client } = useConsole();
  const roster = useLoad(() => client.listValidators({}), []);
  useEffect(() => {
    const timer = setInterval(roster.reload, refreshMs);
    return () => clearInterval(timer);
  }, []);
  const data = roster.data;
  return (
    <section>
      {roster.error && (
        <p role="alert" class="error">
          {roster.error}
        </p>
      )}
      <p>
        Feed head: <strong>{data ? String(data.headSeq) : "…"}</strong>. A validator caught up to the head has applied every revocation committed so far.
      </p>
      <div class="table-wrap">
        <table>
          <caption>Live validators, refreshed every {refreshMs / 1000} s</caption>
          <thead>
            <tr>
              <th scope="col">Validator</th>
              <th scope="col">Applied seq</th>
              <th scope="col">Lag</th>
              <th scope="col">Freshness</th>
            </tr>
          </thead>
          <tbody>
            {data?.validators.map((v) => {
              const { text, tone } = freshness(v);
              return (
                <tr key={v.validatorId}>
                  <th scope="row" class="mono">
                    {v.validatorId}
                  </th>
                  <td>{String(v.appliedSeq)}</td>
                  <td>{v.lag === 0n ? "0 (caught up)" : `${v.lag} behind`}</td>
                  <td>
                    <span class={`badge ${tone}`}>{text}</span>
                  </td>
                </tr>
              );
            })}
          </tbody>
        </table>
        {data?.validators.length === 0 && <p class="empty">No validator is live: none has sent a heartbeat within its time to live.</p>}
      </div>
    </section>
  );
}
