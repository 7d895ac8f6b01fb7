import { useConsole } from "../console-context.js";
import { PrincipalsPanel } from "../components/principals-panel.js";
import { TokensPanel } from "../components/tokens-panel.js";
import { href } from "../use-route.js";
import { useLoad } from "../use-load.js";

/** A group: its Access tokens tab and its members. */
export function GroupScreen({ id, tab = "tokens" }: { id: string; tab?: string }) {
  const { client } = useConsole();
  const loaded = useLoad(async () => {
    const group = (await client.getGroup({ groupId: id })).group!;
    const organisation = (await client.getOrganisation({ organisationId: group.organisationId })).organisation!;
    return { group, organisation };
  }, [id]);
  if (!loaded.data) return <p role={loaded.error ? "alert" : "status"}>{loaded.error ?? "Loading…"}</p>;
  const { group, organisation } = loaded.data;
  return (
    <>
      <p class="subtitle">
        {group.name} · <a href={href("organisation", organisation.id)}>{organisation.name}</a>
      </p>
      <nav class="tabs" aria-label="Group sections">
        <a href={href("group", group.id, "tokens")} aria-current={tab === "tokens" ? "page" : undefined}>
          Access tokens
        </a>
        <a href={href("group", group.id, "members")} aria-current={tab === "members" ? "page" : undefined}>
          Members
        </a>
      </nav>
      {tab === "tokens" ? <TokensPanel key={group.id} scope={{ kind: "group", group, organisation }} title="Group tokens" /> : <PrincipalsPanel organisation={organisation} group={group} />}
    </>
  );
}
