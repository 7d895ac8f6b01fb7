import { useEffect } from "preact/hooks";
import type { LiveValidator } from "@tessera/shared/gen/tessera/v1/admin_pb";
import { Freshness } from "@tessera/shared/gen/tessera/v1/validator_pb";
import { freshnessLabel } from "../labels.js";
import { useConsole } from "../console-context.js";
import { useLoad } from "../use-load.js";

/** How often the screen re-reads the roster: about a heartbeat. */
const refreshMs = 2000;

/**
 * What the validator proved of itself when it last reported, and whether it is
 * still reporting: an unreachable one may answer from an older replica until its
 * own bound passes, then refuses everything.
 */
function freshness(v: LiveValidator): { text: string; tone: string } {
  const heardMs = v.sinceHeard ? Number(v.sinceHeard.seconds) * 1000 + v.sinceHeard.nanos / 1e6 : 0;
  const heard = `heard ${(heardMs / 1000).toFixed(1)} s ago`;
  if (!v.reachable) return { text: `Unreachable: ${heard}; refuses everything once ${(v.maxStalenessMs / 1000).toFixed(1)} s pass unproven`, tone: "revoked" };
  const proven = `${freshnessLabel[v.freshness]}: proven ${(v.stalenessMs / 1000).toFixed(1)} s ago, ${heard}`;
  if (v.freshness === Freshness.STALE) return { text: proven, tone: "revoked" };
  if (v.freshness === Freshness.DEGRADED || v.lag > 0n) return { text: proven, tone: "soon" };
  return { text: proven, tone: "active" };
}

/** The validators: applied seq, lag behind the feed head, how fresh each proved itself, when last heard. */
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
          <caption>Validators, refreshed every {refreshMs / 1000} s</caption>
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
        {data?.validators.length === 0 && <p class="empty">No validator is listed: none has reported within its time to live.</p>}
      </div>
    </section>
  );
}
