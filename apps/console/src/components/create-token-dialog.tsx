import { useId, useState } from "preact/hooks";
import { ExpiryUnit, type CreateTokenResponse, type Expiry } from "@tessera/shared/gen/tessera/v1/admin_pb";
import type { Group, Organisation, Principal } from "@tessera/shared/gen/tessera/v1/identity_pb";
import { TokenLevel } from "@tessera/shared/gen/tessera/v1/token_pb";
import { errorMessage } from "../api.js";
import { useConsole } from "../console-context.js";
import { durationSeconds, isoDateIn } from "../format.js";
import { levelLabel } from "../labels.js";
import { useLoad } from "../use-load.js";
import { Modal } from "./modal.js";
import { DialogFooter } from "./dialog-footer.js";

interface CreateTokenDialogProps {
  readonly organisation: Organisation;
  /** The levels offered; one means the level is fixed (an organisation's or a group's tab). */
  readonly levels: readonly TokenLevel[];
  /** The group of a group page: GROUP tokens go to it. */
  readonly group?: Group;
  /** Offer an owner picker for USER tokens (administrators). */
  readonly pickOwner: boolean;
  readonly onCreated: (created: CreateTokenResponse) => void;
  readonly onCancel: () => void;
}

interface Preset {
  readonly key: string;
  readonly label: string;
  readonly amount: number;
  readonly unit: ExpiryUnit;
}

const unitSeconds: Record<ExpiryUnit, number> = {
  [ExpiryUnit.UNSPECIFIED]: 0,
  [ExpiryUnit.MINUTES]: 60,
  [ExpiryUnit.HOURS]: 3600,
  [ExpiryUnit.DAYS]: 86400,
};

const presets: readonly Preset[] = [
  { key: "30m", label: "In 30 minutes", amount: 30, unit: ExpiryUnit.MINUTES },
  { key: "8h", label: "In 8 hours", amount: 8, unit: ExpiryUnit.HOURS },
  { key: "7d", label: "In 7 days", amount: 7, unit: ExpiryUnit.DAYS },
  { key: "30d", label: "In 30 days", amount: 30, unit: ExpiryUnit.DAYS },
  { key: "90d", label: "In 90 days", amount: 90, unit: ExpiryUnit.DAYS },
];

/** A duration as the largest whole unit: what the custom fields show for a default. */
function asAmount(seconds: number): { amount: number; unit: ExpiryUnit } {
  if (seconds % 86400 === 0) return { amount: seconds / 86400, unit: ExpiryUnit.DAYS };
  if (seconds % 3600 === 0) return { amount: seconds / 3600, unit: ExpiryUnit.HOURS };
  return { amount: Math.max(1, Math.round(seconds / 60)), unit: ExpiryUnit.MINUTES };
}

/** The expiry choice the organisation's default expiry preselects. */
function initialExpiry(org: Organisation): { mode: string; amount: number; unit: ExpiryUnit; date: string } {
  const today = isoDateIn(org.timeZone, new Date());
  const fallback = { mode: "30d", amount: 30, unit: ExpiryUnit.DAYS, date: today };
  const preset = org.defaultExpiry?.kind;
  switch (preset?.case) {
    case "none":
      return org.allowNoExpiry ? { ...fallback, mode: "never" } : fallback;
    case "endOfToday":
      return { ...fallback, mode: "date" };
    case "after": {
      const { amount, unit } = asAmount(durationSeconds(preset.value));
      const match = presets.find((p) => p.amount === amount && p.unit === unit);
      return { mode: match ? match.key : "custom", amount, unit, date: today };
    }
    default:
      return fallback;
  }
}

/** The scopes a holder of `permissions` may put on a token here: from the catalog when there is one. */
function offeredScopes(permissions: readonly string[], catalog: readonly string[]): string[] {
  const holdsAll = permissions.includes("*");
  if (catalog.length > 0) return catalog.filter((s) => holdsAll || permissions.includes(s));
  return permissions.filter((s) => s !== "*");
}

/**
 * The create-token form: name, owner (for administrators, only principals
 * token-admin says the caller may act for), level, scopes from the owner's
 * permissions and the catalog, expiry as the policy allows, the admin option.
 */
export function CreateTokenDialog({ organisation: org, levels, group, pickOwner, onCreated, onCancel }: CreateTokenDialogProps) {
  const { client, caller } = useConsole();
  const ids = { name: useId(), owner: useId(), ownerSearch: useId(), level: useId(), group: useId(), expiry: useId(), date: useId(), dateHint: useId(), amount: useId(), unit: useId(), extra: useId(), admin: useId() };
  const [name, setName] = useState("");
  const [level, setLevel] = useState(levels[0]!);
  const [ownerSearch, setOwnerSearch] = useState("");
  const [chosenOwnerId, setOwnerId] = useState("");
  const [groupId, setGroupId] = useState(group?.id ?? "");
  const [scopes, setScopes] = useState<ReadonlySet<string>>(new Set());
  const [extraScopes, setExtraScopes] = useState("");
  const [expiry, setExpiry] = useState(() => initialExpiry(org));
  const [admin, setAdmin] = useState(false);
  const [error, setError] = useState<string>();
  const [busy, setBusy] = useState(false);

  const owners = useLoad(
    async () => (pickOwner && level === TokenLevel.USER ? (await client.listTokenOwners({ organisationId: org.id, nameContains: ownerSearch, pageSize: 100 })).principals : []),
    [pickOwner, level, ownerSearch, org.id],
  );
  const groups = useLoad(
    async () => (level === TokenLevel.GROUP && !group ? (await client.listGroups({ organisationId: org.id, pageSize: 500 })).groups : []),
    [level, org.id],
  );
  // Administrators pick among the owners token-admin offers (the caller only if it is one of them).
  const candidates = owners.data ?? [];
  const ownerId = !pickOwner ? caller.id : (candidates.find((p) => p.id === chosenOwnerId) ?? candidates.find((p) => p.id === caller.id) ?? candidates[0])?.id ?? "";
  const owner: Principal | undefined = level !== TokenLevel.USER ? undefined : ownerId === caller.id ? caller : candidates.find((p) => p.id === ownerId);
  const holder = owner ?? caller;
  const options = offeredScopes(holder.permissions, org.scopeCatalog);
  const freeForm = holder.permissions.includes("*") && org.scopeCatalog.length === 0;
  const maxLifetime = durationSeconds(org.maxLifetime);
  const fits = (p: Preset) => maxLifetime === 0 || p.amount * unitSeconds[p.unit] <= maxLifetime;

  const expiryMessage = (): Expiry => {
    const preset = presets.find((p) => p.key === expiry.mode);
    if (preset) return { kind: { case: "after", value: { amount: preset.amount, unit: preset.unit } } } as Expiry;
    if (expiry.mode === "date") return { kind: { case: "endOfDate", value: expiry.date } } as Expiry;
    if (expiry.mode === "never") return { kind: { case: "never", value: true } } as Expiry;
    return { kind: { case: "after", value: { amount: expiry.amount, unit: expiry.unit } } } as Expiry;
  };

  const submit = async (event: Event) => {
    event.preventDefault();
    setBusy(true);
    setError(undefined);
    try {
      const extra = extraScopes.split(/[\s,]+/).filter(Boolean);
      const created = await client.createToken({
        name,
        // Boxes ticked for an owner picked before may not be on offer now.
        scopes: [...new Set([...[...scopes].filter((scope) => options.includes(scope)), ...extra])],
        level,
        ownerId: level === TokenLevel.USER && ownerId !== caller.id ? ownerId : "",
        groupId: level === TokenLevel.GROUP ? groupId : "",
        organisationId: level === TokenLevel.ORG ? org.id : "",
        expiry: expiryMessage(),
        admin,
      });
      onCreated(created);
    } catch (err) {
      setError(errorMessage(err));
      setBusy(false);
    }
  };

  return (
    <Modal title="Create a token" onDismiss={onCancel}>
      <form onSubmit={submit}>
        <div class="field">
          <label for={ids.name}>Name</label>
          <input id={ids.name} required maxLength={100} value={name} onInput={(e) => setName(e.currentTarget.value)} />
        </div>

        {levels.length > 1 && (
          <fieldset>
            <legend>Level</legend>
            {levels.map((l) => (
              <label key={l} class="inline">
                <input type="radio" name="level" checked={level === l} onChange={() => setLevel(l)} /> {levelLabel[l]}
              </label>
            ))}
          </fieldset>
        )}

        {level === TokenLevel.USER && pickOwner && (
          <div class="field">
            <label for={ids.ownerSearch}>Find an owner</label>
            <input id={ids.ownerSearch} type="search" value={ownerSearch} onInput={(e) => setOwnerSearch(e.currentTarget.value)} />
            <label for={ids.owner}>Owner</label>
            <select id={ids.owner} value={ownerId} onChange={(e) => setOwnerId(e.currentTarget.value)}>
              {owners.data?.map((p) => (
                <option key={p.id} value={p.id}>
                  {p.name}
                  {p.id === caller.id ? " (you)" : ""}
                </option>
              ))}
            </select>
            {owners.data && candidates.length === 0 && <p class="error">There is no one here you may create a token for.</p>}
            <p class="hint">Only the people and technical users you may create tokens for{org.technicalUsersOnly ? " — technical users only, as the organisation requires" : ""}.</p>
          </div>
        )}

        {level === TokenLevel.GROUP && !group && (
          <div class="field">
            <label for={ids.group}>Group</label>
            <select id={ids.group} required value={groupId} onChange={(e) => setGroupId(e.currentTarget.value)}>
              <option value="">Choose a group</option>
              {groups.data?.map((g) => (
                <option key={g.id} value={g.id}>
                  {g.name}
                </option>
              ))}
            </select>
          </div>
        )}

        <fieldset>
          <legend>Scopes</legend>
          {options.length === 0 && !freeForm && <p class="hint">{holder.name} holds no scopes a token here may carry.</p>}
          {options.map((scope) => (
            <label key={scope} class="inline">
              <input
                type="checkbox"
                checked={scopes.has(scope)}
                onChange={() => {
                  const next = new Set(scopes);
                  next.has(scope) ? next.delete(scope) : next.add(scope);
                  setScopes(next);
                }}
              />{" "}
              {scope}
            </label>
          ))}
          {freeForm && (
            <div class="field">
              <label for={ids.extra}>Scopes, separated by spaces (e.g. orders:read)</label>
              <input id={ids.extra} value={extraScopes} onInput={(e) => setExtraScopes(e.currentTarget.value)} />
            </div>
          )}
        </fieldset>

        <div class="field">
          <label for={ids.expiry}>Expires</label>
          <select id={ids.expiry} value={expiry.mode} onChange={(e) => setExpiry({ ...expiry, mode: e.currentTarget.value })}>
            {presets.filter(fits).map((p) => (
              <option key={p.key} value={p.key}>
                {p.label}
              </option>
            ))}
            <option value="custom">After…</option>
            <option value="date">At the end of a date…</option>
            {org.allowNoExpiry && <option value="never">Never</option>}
          </select>
          {maxLifetime > 0 && <p class="hint">This organisation caps every token's lifetime.</p>}
        </div>
        {expiry.mode === "custom" && (
          <div class="field row">
            <label for={ids.amount}>Amount</label>
            <input id={ids.amount} type="number" min={1} max={3650} required value={expiry.amount} onInput={(e) => setExpiry({ ...expiry, amount: Number(e.currentTarget.value) })} />
            <label for={ids.unit}>Unit</label>
            <select id={ids.unit} value={expiry.unit} onChange={(e) => setExpiry({ ...expiry, unit: Number(e.currentTarget.value) as ExpiryUnit })}>
              <option value={ExpiryUnit.MINUTES}>minutes</option>
              <option value={ExpiryUnit.HOURS}>hours</option>
              <option value={ExpiryUnit.DAYS}>days</option>
            </select>
          </div>
        )}
        {expiry.mode === "date" && (
          <div class="field">
            <label for={ids.date}>Last day</label>
            <input id={ids.date} type="date" required min={isoDateIn(org.timeZone, new Date())} value={expiry.date} aria-describedby={ids.dateHint} onInput={(e) => setExpiry({ ...expiry, date: e.currentTarget.value })} />
            <p id={ids.dateHint} class="hint">
              The token stops at midnight at the end of this date in {org.timeZone}, the organisation's time zone.
            </p>
          </div>
        )}

        <label class="inline" for={ids.admin}>
          <input id={ids.admin} type="checkbox" checked={admin} onChange={(e) => setAdmin(e.currentTarget.checked)} />{" "}
          {level === TokenLevel.USER ? "Admin API access (the token may call the admin API with its owner's role)" : "Assign the admin role"}
        </label>

        <DialogFooter error={error} onCancel={onCancel} submitLabel="Create token" busy={busy} />
      </form>
    </Modal>
  );
}
