import { useId, useState } from "preact/hooks";
import type { Organisation } from "@tessera/shared/gen/tessera/v1/identity_pb";
import type { DefaultExpiry } from "@tessera/shared/gen/tessera/v1/identity_pb";
import { errorMessage } from "../api.js";
import { useConsole } from "../console-context.js";
import { durationSeconds } from "../format.js";
import { DurationField } from "./duration-field.js";

interface SettingsProps {
  readonly organisation: Organisation;
  /** Whether the caller may change them; if not, they are shown, not offered. */
  readonly editable: boolean;
  readonly onSaved: (organisation: Organisation) => void;
}

const zones = Intl.supportedValuesOf("timeZone");
const duration = (seconds: number) => ({ seconds: BigInt(seconds), nanos: 0 });

/** Every policy field of an organisation, as one form. */
export function OrganisationSettings({ organisation: org, editable, onSaved }: SettingsProps) {
  const { client } = useConsole();
  const ids = { name: useId(), tokens: useId(), zone: useId(), catalog: useId(), noExpiry: useId(), technical: useId() };
  const defaultCase = org.defaultExpiry?.kind.case ?? "none";
  const [name, setName] = useState(org.name);
  const [tokensOn, setTokensOn] = useState(org.apiTokensEnabled);
  const [zone, setZone] = useState(org.timeZone);
  const [defaultKind, setDefaultKind] = useState<string>(defaultCase);
  const [defaultSeconds, setDefaultSeconds] = useState(org.defaultExpiry?.kind.case === "after" ? durationSeconds(org.defaultExpiry.kind.value) : 30 * 86400);
  const [maxLifetime, setMaxLifetime] = useState(durationSeconds(org.maxLifetime));
  const [noExpiry, setNoExpiry] = useState(org.allowNoExpiry);
  const [technical, setTechnical] = useState(org.technicalUsersOnly);
  const [catalog, setCatalog] = useState(org.scopeCatalog.join("\n"));
  const [exchangeTtl, setExchangeTtl] = useState(durationSeconds(org.maxExchangeTtl));
  const [grace, setGrace] = useState(durationSeconds(org.maxRegenerateGrace));
  const [status, setStatus] = useState("");
  const [error, setError] = useState<string>();

  const defaultExpiry = (): DefaultExpiry["kind"] =>
    defaultKind === "endOfToday" ? { case: "endOfToday", value: true } : defaultKind === "after" ? { case: "after", value: duration(defaultSeconds) as never } : { case: "none", value: true };

  const save = async (event: Event) => {
    event.preventDefault();
    setError(undefined);
    setStatus("");
    try {
      const done = await client.updateOrganisation({
        organisationId: org.id,
        name,
        settings: {
          apiTokensEnabled: tokensOn,
          timeZone: zone,
          defaultExpiry: { kind: defaultExpiry() },
          maxLifetime: duration(maxLifetime),
          allowNoExpiry: noExpiry,
          technicalUsersOnly: technical,
          scopeCatalog: { scopes: catalog.split(/[\s,]+/).filter(Boolean) },
          maxExchangeTtl: duration(exchangeTtl),
          maxRegenerateGrace: duration(grace),
        },
        // Switching tokens off invalidates every token: say when validators have it.
        awaitValidators: tokensOn === org.apiTokensEnabled ? undefined : duration(5),
      });
      const ack = done.acknowledgement;
      setStatus(`Settings saved.${ack ? ` ${ack.applied} of ${ack.live} live validators applied the change.` : ""}`);
      onSaved(done.organisation!);
    } catch (err) {
      setError(errorMessage(err));
    }
  };

  return (
    <form onSubmit={save} class="settings">
      {!editable && <p class="hint">You may read these settings; an organisation admin changes them.</p>}
      <fieldset disabled={!editable} class="plain">
        <div class="field">
          <label for={ids.name}>Name</label>
          <input id={ids.name} required maxLength={100} value={name} onInput={(e) => setName(e.currentTarget.value)} />
        </div>
        <label class="inline switch" for={ids.tokens}>
          <input id={ids.tokens} type="checkbox" role="switch" checked={tokensOn} onChange={(e) => setTokensOn(e.currentTarget.checked)} /> API tokens enabled
        </label>
        <p class="hint">Off: no token of this organisation is created or accepted, at once.</p>
        <div class="field">
          <label for={ids.zone}>Time zone</label>
          <select id={ids.zone} value={zone} onChange={(e) => setZone(e.currentTarget.value)}>
            {(zones.includes(zone) ? zones : [zone, ...zones]).map((z) => (
              <option key={z} value={z}>
                {z}
              </option>
            ))}
          </select>
          <p class="hint">A calendar-date expiry ends at that date's midnight here.</p>
        </div>
        <fieldset>
          <legend>Default expiry (for a token created without one)</legend>
          {[
            ["none", "No expiry"],
            ["endOfToday", "End of the day it is created"],
            ["after", "After a duration"],
          ].map(([value, label]) => (
            <label key={value} class="inline">
              <input type="radio" name="default-expiry" checked={defaultKind === value} onChange={() => setDefaultKind(value!)} /> {label}
            </label>
          ))}
          {defaultKind === "after" && <DurationField label="Default lifetime" seconds={defaultSeconds} onChange={setDefaultSeconds} />}
        </fieldset>
        <DurationField label="Maximum lifetime" seconds={maxLifetime} onChange={setMaxLifetime} zeroLabel="no cap" />
        <label class="inline" for={ids.noExpiry}>
          <input id={ids.noExpiry} type="checkbox" checked={noExpiry} onChange={(e) => setNoExpiry(e.currentTarget.checked)} /> Allow tokens that never expire
        </label>
        <label class="inline" for={ids.technical}>
          <input id={ids.technical} type="checkbox" checked={technical} onChange={(e) => setTechnical(e.currentTarget.checked)} /> Tokens for technical users only
        </label>
        <div class="field">
          <label for={ids.catalog}>Scope catalog (one per line; empty: any well-formed scope)</label>
          <textarea id={ids.catalog} rows={4} value={catalog} onInput={(e) => setCatalog(e.currentTarget.value)} />
        </div>
        <DurationField label="Longest exchanged token" seconds={exchangeTtl} onChange={setExchangeTtl} />
        <DurationField label="Longest regenerate grace period" seconds={grace} onChange={setGrace} zeroLabel="none" />
        {editable && (
          <button type="submit" class="primary">
            Save settings
          </button>
        )}
      </fieldset>
      <p role="status" class="announcement">
        {status}
      </p>
      {error && (
        <p role="alert" class="error">
          {error}
        </p>
      )}
    </form>
  );
}
