import { useId, useState } from "preact/hooks";
import { Role } from "@tessera/shared/gen/tessera/v1/identity_pb";
import { errorMessage } from "../api.js";
import { useConsole } from "../console-context.js";
import { OrganisationSettings } from "../components/organisation-settings.js";
import { PrincipalsPanel } from "../components/principals-panel.js";
import { TokensPanel } from "../components/tokens-panel.js";
import { href } from "../use-route.js";
import { useLoad } from "../use-load.js";

const tabs = [
  ["settings", "Settings"],
  ["tokens", "Access tokens"],
  ["groups", "Groups"],
  ["principals", "Principals"],
] as const;

/** An organisation: its policy, its Access tokens tab, its groups and principals. */
export function OrganisationScreen({ id, tab = "settings" }: { id: string | undefined; tab?: string }) {
  const { client, caller, organisation: home, reloadOrganisation } = useConsole();
  const organisationId = id ?? home.id;
  const org = useLoad(async () => (await client.getOrganisation({ organisationId })).organisation!, [organisationId]);
  const groups = useLoad(async () => (await client.listGroups({ organisationId, pageSize: 500 })).groups, [organisationId]);
  const groupNameId = useId();
  const [groupError, setGroupError] = useState<string>();
  const mayEdit = caller.role === Role.ADMIN || (caller.role === Role.ORG_ADMIN && caller.organisationId === organisationId);
  if (!org.data) return <p role={org.error ? "alert" : "status"}>{org.error ?? "Loading…"}</p>;
  const organisation = org.data;
  return (
    <>
      <p class="subtitle">{organisation.name}</p>
      <nav class="tabs" aria-label="Organisation sections">
        {tabs.map(([key, label]) => (
          <a key={key} href={href("organisation", organisation.id, key)} aria-current={tab === key ? "page" : undefined}>
            {label}
          </a>
        ))}
      </nav>
      {tab === "settings" && (
        <OrganisationSettings
          key={organisation.id}
          organisation={organisation}
          editable={mayEdit}
          onSaved={() => {
            org.reload();
            if (organisation.id === home.id) reloadOrganisation();
          }}
        />
      )}
      {tab === "tokens" && <TokensPanel key={organisation.id + String(organisation.apiTokensEnabled)} scope={{ kind: "organisation", organisation }} title="Organisation tokens" />}
      {tab === "groups" && (
        <section aria-labelledby="groups-heading">
          <h2 id="groups-heading">Groups</h2>
          <ul class="link-list">
            {groups.data?.map((g) => (
              <li key={g.id}>
                <a href={href("group", g.id)}>{g.name}</a>
              </li>
            ))}
          </ul>
          {groups.data?.length === 0 && <p class="empty">No groups yet.</p>}
          {mayEdit && (
            <form
              class="inline-form"
              onSubmit={async (event) => {
                event.preventDefault();
                const input = (event.currentTarget as HTMLFormElement).elements.namedItem("group") as HTMLInputElement;
                try {
                  await client.createGroup({ organisationId, name: input.value });
                  input.value = "";
                  setGroupError(undefined);
                  groups.reload();
                } catch (err) {
                  setGroupError(errorMessage(err));
                }
              }}
            >
              <label for={groupNameId}>New group name</label>
              <input id={groupNameId} name="group" required maxLength={100} />
              <button type="submit">Add group</button>
              {groupError && (
                <p role="alert" class="error">
                  {groupError}
                </p>
              )}
            </form>
          )}
        </section>
      )}
      {tab === "principals" && <PrincipalsPanel organisation={organisation} />}
    </>
  );
}

/** The built-in admin's list of every organisation, with create. */
export function OrganisationsScreen() {
  const { client } = useConsole();
  const list = useLoad(() => client.listOrganisations({ pageSize: 500 }), []);
  const nameId = useId();
  const [error, setError] = useState<string>();
  return (
    <section>
      <ul class="link-list">
        {list.data?.organisations.map((o) => (
          <li key={o.id}>
            <a href={href("organisation", o.id)}>{o.name}</a> <span class="hint">{o.timeZone}{o.apiTokensEnabled ? "" : " · API tokens off"}</span>
          </li>
        ))}
      </ul>
      <form
        class="inline-form"
        onSubmit={async (event) => {
          event.preventDefault();
          const input = (event.currentTarget as HTMLFormElement).elements.namedItem("organisation") as HTMLInputElement;
          try {
            await client.createOrganisation({ name: input.value });
            input.value = "";
            setError(undefined);
            list.reload();
          } catch (err) {
            setError(errorMessage(err));
          }
        }}
      >
        <label for={nameId}>New organisation name</label>
        <input id={nameId} name="organisation" required maxLength={100} />
        <button type="submit">Add organisation</button>
        {error && (
          <p role="alert" class="error">
            {error}
          </p>
        )}
      </form>
    </section>
  );
}
