import { useEffect, useMemo, useState } from "preact/hooks";
import { Role, type Organisation, type Principal } from "@tessera/shared/gen/tessera/v1/identity_pb";
import { createAdminClient, createWebhookClient, type AdminClient, type WebhookClient } from "./api.js";
import { ConsoleContext, isAdministrator, type ConsoleState } from "./console-context.js";
import { roleLabel } from "./labels.js";
import { AllTokens } from "./screens/all-tokens.js";
import { AuditScreen } from "./screens/audit.js";
import { GroupScreen } from "./screens/group.js";
import { MyTokens } from "./screens/my-tokens.js";
import { OrganisationScreen, OrganisationsScreen } from "./screens/organisation.js";
import { SignIn } from "./screens/sign-in.js";
import { ValidatorsScreen } from "./screens/validators.js";
import { WebhooksScreen } from "./screens/webhooks.js";
import { clearSession, loadSession, saveSession, type Session } from "./session.js";
import { href, useRoute } from "./use-route.js";
import { useLoad } from "./use-load.js";

const sessionEndedMessage = "Your session has ended. Sign in again to continue.";

/** The console: sign-in until there is a session, then the screens. */
export function App() {
  const [session, setSession] = useState<Session | undefined>(loadSession);
  const [notice, setNotice] = useState<string>();
  const end = (message: string) => {
    clearSession();
    setSession(undefined);
    setNotice(message);
  };
  const client = useMemo(() => createAdminClient(() => loadSession()?.token, () => end(sessionEndedMessage)), []);
  const webhooks = useMemo(() => createWebhookClient(() => loadSession()?.token, () => end(sessionEndedMessage)), []);

  // A session from SignIn ends at its expiry even if nothing is clicked.
  useEffect(() => {
    if (!session?.expiresAt) return;
    const timer = setTimeout(() => end(sessionEndedMessage), Math.max(0, session.expiresAt - Date.now()));
    return () => clearTimeout(timer);
  }, [session]);

  if (!session) {
    return (
      <SignIn
        client={client}
        notice={notice}
        onSignedIn={(s) => {
          saveSession(s);
          setNotice(undefined);
          setSession(s);
          location.hash = "#/tokens";
        }}
      />
    );
  }
  return <Shell client={client} webhooks={webhooks} onSignOut={() => end("You have signed out.")} />;
}

interface Screen {
  readonly path: string;
  readonly title: string;
  readonly shown: (caller: Principal) => boolean;
}

const screens: readonly Screen[] = [
  { path: "tokens", title: "My tokens", shown: () => true },
  { path: "all-tokens", title: "All tokens", shown: (c) => isAdministrator(c.role) },
  { path: "organisations", title: "Organisations", shown: (c) => c.role === Role.ADMIN },
  { path: "organisation", title: "Organisation", shown: () => true },
  { path: "audit", title: "Audit log", shown: () => true },
  { path: "validators", title: "Validators", shown: (c) => c.role === Role.ADMIN || c.role === Role.ORG_ADMIN },
  { path: "webhooks", title: "Webhooks", shown: (c) => c.role === Role.ADMIN || c.role === Role.ORG_ADMIN },
];

/** The signed-in frame: who is signed in, the navigation, one screen. */
function Shell({ client, webhooks, onSignOut }: { client: AdminClient; webhooks: WebhookClient; onSignOut: () => void }) {
  const route = useRoute();
  const who = useLoad(async () => {
    const caller = (await client.getCaller({})).principal!;
    const organisation = (await client.getOrganisation({ organisationId: caller.organisationId })).organisation!;
    return { caller, organisation };
  }, []);
  const [path = "tokens", ...rest] = route;
  useEffect(() => {
    document.querySelector<HTMLElement>("main h1")?.focus();
  }, [path, rest[0]]);
  if (!who.data) return <main id="main"><h1 tabIndex={-1}>Tessera</h1><p role={who.error ? "alert" : "status"}>{who.error ?? "Loading…"}</p></main>;

  const { caller, organisation } = who.data;
  const state: ConsoleState = { client, webhooks, caller, organisation: organisation as Organisation, reloadOrganisation: who.reload };
  const visible = screens.filter((s) => s.shown(caller));
  const current = visible.find((s) => s.path === path) ?? (path === "group" ? { path, title: "Group", shown: () => true } : visible[0]!);
  document.title = `${current.title} · Tessera`;
  return (
    <ConsoleContext.Provider value={state}>
      <a class="skip" href="#main" onClick={(e) => (e.preventDefault(), document.querySelector<HTMLElement>("main h1")?.focus())}>
        Skip to content
      </a>
      <header class="top">
        <span class="brand">Tessera</span>
        <span class="who">
          {caller.name} · {roleLabel[caller.role]} · {organisation.name}
        </span>
        <button type="button" onClick={onSignOut}>
          Sign out
        </button>
      </header>
      <nav class="main-nav" aria-label="Screens">
        <ul>
          {visible.map((s) => (
            <li key={s.path}>
              <a href={href(s.path)} aria-current={s.path === current.path ? "page" : undefined}>
                {s.title}
              </a>
            </li>
          ))}
        </ul>
      </nav>
      <main id="main">
        <h1 tabIndex={-1}>{current.title}</h1>
        {current.path === "tokens" && <MyTokens />}
        {current.path === "all-tokens" && <AllTokens />}
        {current.path === "organisations" && <OrganisationsScreen />}
        {current.path === "organisation" && <OrganisationScreen id={rest[0]} tab={rest[1]} />}
        {current.path === "group" && rest[0] && <GroupScreen id={rest[0]} tab={rest[1]} />}
        {current.path === "audit" && <AuditScreen />}
        {current.path === "validators" && <ValidatorsScreen />}
        {current.path === "webhooks" && <WebhooksScreen endpointId={rest[0]} />}
      </main>
    </ConsoleContext.Provider>
  );
}
