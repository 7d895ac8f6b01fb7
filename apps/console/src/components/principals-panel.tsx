import { useId, useState } from "preact/hooks";
import { PrincipalKind, Role, type Group, type Organisation, type Principal } from "@tessera/shared/gen/tessera/v1/identity_pb";
import { errorMessage } from "../api.js";
import { isAdministrator, useConsole } from "../console-context.js";
import { formatTime } from "../format.js";
import { kindLabel, roleLabel } from "../labels.js";
import { useLoad } from "../use-load.js";
import { Modal } from "./modal.js";
import { DialogFooter } from "./dialog-footer.js";

/**
 * The roles a role is offered when creating or editing a principal. An
 * offering only: token-admin decides every call, and says why it refuses.
 */
const offeredRoles: Record<Role, Role[]> = {
  [Role.UNSPECIFIED]: [],
  [Role.ADMIN]: [Role.ADMIN, Role.ORG_ADMIN, Role.GROUP_ADMIN, Role.MEMBER],
  [Role.ORG_ADMIN]: [Role.ORG_ADMIN, Role.GROUP_ADMIN, Role.MEMBER],
  [Role.GROUP_ADMIN]: [Role.MEMBER],
  [Role.MEMBER]: [],
};

const splitScopes = (text: string) => text.split(/[\s,]+/).filter(Boolean);

interface PrincipalFormProps {
  readonly organisation: Organisation;
  readonly groups: readonly Group[];
  /** Editing this one; creating when unset. */
  readonly principal?: Principal;
  /** A group page creates its members in its group. */
  readonly fixedGroupId?: string;
  readonly onDone: (message: string) => void;
  readonly onCancel: () => void;
}

/** Create or edit a principal: kind, role, permissions, group, disabled, password. */
function PrincipalForm({ organisation, groups, principal, fixedGroupId, onDone, onCancel }: PrincipalFormProps) {
  const { client, caller } = useConsole();
  const ids = { name: useId(), kind: useId(), role: useId(), permissions: useId(), group: useId(), password: useId(), disabled: useId(), clear: useId() };
  const [name, setName] = useState(principal?.name ?? "");
  const [kind, setKind] = useState(principal?.kind ?? PrincipalKind.HUMAN);
  const [role, setRole] = useState(principal?.role ?? Role.MEMBER);
  const [permissions, setPermissions] = useState(principal?.permissions.join(" ") ?? "");
  const [groupId, setGroupId] = useState(principal?.groupId ?? fixedGroupId ?? "");
  const [password, setPassword] = useState("");
  const [clearPassword, setClearPassword] = useState(false);
  const [disabled, setDisabled] = useState(principal?.disabled ?? false);
  const [error, setError] = useState<string>();
  const roles = offeredRoles[caller.role].includes(role) ? offeredRoles[caller.role] : [role, ...offeredRoles[caller.role]];

  const submit = async (event: Event) => {
    event.preventDefault();
    setError(undefined);
    try {
      if (principal) {
        await client.updatePrincipal({
          principalId: principal.id,
          role: role === principal.role ? undefined : role,
          permissions: { scopes: splitScopes(permissions) },
          disabled,
          groupId: groupId === principal.groupId ? undefined : groupId,
          password: clearPassword ? "" : password || undefined,
          awaitValidators: { seconds: 5n, nanos: 0 },
        });
        onDone(`Saved ${name}.`);
      } else {
        await client.createPrincipal({ organisationId: organisation.id, groupId, name, kind, role, permissions: splitScopes(permissions), password });
        onDone(`Created ${name}.`);
      }
    } catch (err) {
      setError(errorMessage(err));
    }
  };

  return (
    <Modal title={principal ? `Edit ${principal.name}` : "Add a principal"} onDismiss={onCancel}>
      <form onSubmit={submit}>
        {!principal && (
          <>
            <div class="field">
              <label for={ids.name}>Name (what they sign in with)</label>
              <input id={ids.name} required maxLength={100} value={name} onInput={(e) => setName(e.currentTarget.value)} />
            </div>
            <div class="field">
              <label for={ids.kind}>Kind</label>
              <select id={ids.kind} value={kind} onChange={(e) => setKind(Number(e.currentTarget.value))}>
                <option value={PrincipalKind.HUMAN}>{kindLabel[PrincipalKind.HUMAN]}</option>
                <option value={PrincipalKind.TECHNICAL}>{kindLabel[PrincipalKind.TECHNICAL]}</option>
              </select>
            </div>
          </>
        )}
        <div class="field">
          <label for={ids.role}>Role</label>
          <select id={ids.role} value={role} onChange={(e) => setRole(Number(e.currentTarget.value))}>
            {roles.map((r) => (
              <option key={r} value={r}>
                {roleLabel[r]}
              </option>
            ))}
          </select>
        </div>
        <div class="field">
          <label for={ids.permissions}>Permissions (scopes, separated by spaces)</label>
          <input id={ids.permissions} value={permissions} onInput={(e) => setPermissions(e.currentTarget.value)} />
        </div>
        {!fixedGroupId && (
          <div class="field">
            <label for={ids.group}>Group</label>
            <select id={ids.group} value={groupId} onChange={(e) => setGroupId(e.currentTarget.value)}>
              <option value="">No group</option>
              {groups.map((g) => (
                <option key={g.id} value={g.id}>
                  {g.name}
                </option>
              ))}
            </select>
          </div>
        )}
        {kind === PrincipalKind.HUMAN && (
          <div class="field">
            <label for={ids.password}>{principal ? "New password (12 characters or more; empty: unchanged)" : "Password (12 characters or more; empty: cannot sign in)"}</label>
            <input id={ids.password} type="password" autocomplete="new-password" minLength={12} value={password} onInput={(e) => setPassword(e.currentTarget.value)} />
          </div>
        )}
        {principal?.hasPassword && (
          <label class="inline" for={ids.clear}>
            <input id={ids.clear} type="checkbox" checked={clearPassword} onChange={(e) => setClearPassword(e.currentTarget.checked)} /> Remove the password
          </label>
        )}
        {principal && (
          <label class="inline" for={ids.disabled}>
            <input id={ids.disabled} type="checkbox" checked={disabled} onChange={(e) => setDisabled(e.currentTarget.checked)} /> Disabled (every token it owns stops at once)
          </label>
        )}
        <DialogFooter error={error} onCancel={onCancel} submitLabel={principal ? "Save" : "Add principal"} />
      </form>
    </Modal>
  );
}

/** The principals of an organisation (or one of its groups), with create and edit for administrators. */
export function PrincipalsPanel({ organisation, group }: { organisation: Organisation; group?: Group }) {
  const { client, caller } = useConsole();
  const [editing, setEditing] = useState<Principal | "new">();
  const [notice, setNotice] = useState("");
  const [pages, setPages] = useState<string[]>([""]);
  const list = useLoad(() => client.listPrincipals({ organisationId: organisation.id, groupId: group?.id ?? "", pageSize: 50, pageToken: pages.at(-1)! }), [organisation.id, group?.id, pages]);
  const groups = useLoad(async () => (await client.listGroups({ organisationId: organisation.id, pageSize: 500 })).groups, [organisation.id]);
  const groupName = (id: string) => groups.data?.find((g) => g.id === id)?.name ?? (id ? "…" : "—");
  const administers = isAdministrator(caller.role);
  return (
    <section aria-labelledby="principals-heading">
      <div class="toolbar">
        <h2 id="principals-heading">{group ? `Members of ${group.name}` : "Principals"}</h2>
        {administers && (
          <button type="button" class="primary" onClick={() => setEditing("new")}>
            Add principal
          </button>
        )}
      </div>
      <p role="status" class="announcement">
        {notice}
      </p>
      {list.error && (
        <p role="alert" class="error">
          {list.error}
        </p>
      )}
      <div class="table-wrap">
        <table>
          <caption>{group ? `Principals in ${group.name}` : `Principals of ${organisation.name}`}</caption>
          <thead>
            <tr>
              <th scope="col">Name</th>
              <th scope="col">Kind</th>
              <th scope="col">Role</th>
              <th scope="col">Group</th>
              <th scope="col">Permissions</th>
              <th scope="col">Status</th>
              <th scope="col">Created</th>
              {administers && <th scope="col">Actions</th>}
            </tr>
          </thead>
          <tbody>
            {list.data?.principals.map((p) => (
              <tr key={p.id}>
                <th scope="row">
                  {p.name}
                  {p.systemManaged && <span class="tag">owns a {p.groupId ? "group" : "organisation"} token</span>}
                </th>
                <td>{kindLabel[p.kind]}</td>
                <td>{roleLabel[p.role]}</td>
                <td>{groupName(p.groupId)}</td>
                <td>{p.permissions.join(", ") || <span class="muted">none</span>}</td>
                <td>{p.disabled ? <span class="badge disabled">Disabled</span> : <span class="badge active">Active</span>}{p.hasPassword && <span class="hint">can sign in</span>}</td>
                <td>{formatTime(p.createTime, organisation.timeZone)}</td>
                {administers && (
                  <td class="row-actions">
                    {!p.systemManaged && (
                      <button type="button" aria-label={`Edit ${p.name}`} onClick={() => setEditing(p)}>
                        Edit
                      </button>
                    )}
                  </td>
                )}
              </tr>
            ))}
          </tbody>
        </table>
      </div>
      <nav class="pager" aria-label="Principal pages">
        <button type="button" disabled={pages.length === 1} onClick={() => setPages(pages.slice(0, -1))}>
          Previous page
        </button>
        <button type="button" disabled={!list.data?.nextPageToken} onClick={() => setPages([...pages, list.data!.nextPageToken])}>
          Next page
        </button>
      </nav>
      {editing && (
        <PrincipalForm
          organisation={organisation}
          groups={groups.data ?? []}
          principal={editing === "new" ? undefined : editing}
          fixedGroupId={group?.id}
          onCancel={() => setEditing(undefined)}
          onDone={(message) => {
            setEditing(undefined);
            setNotice(message);
            list.reload();
          }}
        />
      )}
    </section>
  );
}
