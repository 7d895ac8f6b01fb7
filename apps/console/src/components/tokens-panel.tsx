import { timestampDate } from "@bufbuild/protobuf/wkt";
import { useId, useMemo, useState } from "preact/hooks";
import type { Group, Organisation } from "@tessera/shared/gen/tessera/v1/identity_pb";
import { TokenKind, TokenLevel, TokenStatus, type Token } from "@tessera/shared/gen/tessera/v1/token_pb";
import type { ValidatorAcknowledgement } from "@tessera/shared/gen/tessera/v1/admin_pb";
import { errorMessage } from "../api.js";
import { isAdministrator, useConsole } from "../console-context.js";
import { durationSeconds, formatSeconds } from "../format.js";
import { levelLabel, statusLabel } from "../labels.js";
import { useLoad } from "../use-load.js";
import { ConfirmDialog } from "./confirm-dialog.js";
import { CreateTokenDialog } from "./create-token-dialog.js";
import { ExchangeDialog } from "./exchange-dialog.js";
import { SecretDialog } from "./secret-dialog.js";
import { TokenTable, type SortOrder } from "./token-table.js";
import { Role } from "@tessera/shared/gen/tessera/v1/identity_pb";

/** Which tokens a panel lists, and what it creates. */
export type TokenScope =
  | { readonly kind: "mine" }
  | { readonly kind: "all" }
  | { readonly kind: "organisation"; readonly organisation: Organisation }
  | { readonly kind: "group"; readonly group: Group; readonly organisation: Organisation };

type Dialog =
  | { kind: "create" }
  | { kind: "secret"; title: string; value: string }
  | { kind: "exchange"; token: Token }
  | { kind: "confirm"; action: "revoke" | "delete" | "regenerate" | "bulk-delete" | "bulk-disable"; tokens: Token[] };

/** How long a destructive call waits for validators, so the screen can say they have it. */
const awaitValidators = { seconds: 5n, nanos: 0 };

const acknowledged = (ack: ValidatorAcknowledgement | undefined) =>
  ack ? ` ${ack.applied} of ${ack.live} live validator${ack.live === 1 ? "" : "s"} applied it.` : "";

/** The grace periods offered when regenerating, up to the organisation's limit. */
const graceChoices = [0, 300, 3600, 86400, 7 * 86400];

/**
 * A token list with everything one can do to its tokens: filters, server
 * paging, create, per-row actions, and (for administrators) bulk disable and delete.
 */
export function TokensPanel({ scope, title }: { scope: TokenScope; title: string }) {
  const { client, caller, organisation: home } = useConsole();
  const [orgFilter, setOrgFilter] = useState("");
  const organisations = useLoad(async () => (scope.kind === "all" && caller.role === Role.ADMIN ? (await client.listOrganisations({ pageSize: 500 })).organisations : []), [scope.kind]);
  const chosen = organisations.data?.find((o) => o.id === orgFilter);
  // The organisation whose policy and time zone apply: the page's, the one filtered to, or the caller's.
  const org = scope.kind === "organisation" || scope.kind === "group" ? scope.organisation : (chosen ?? home);
  const ids = { org: useId(), status: useId(), level: useId(), name: useId(), owner: useId(), size: useId(), grace: useId(), noTokens: useId() };
  const [status, setStatus] = useState(TokenStatus.UNSPECIFIED);
  const [level, setLevel] = useState(TokenLevel.UNSPECIFIED);
  const [nameContains, setNameContains] = useState("");
  const [ownerId, setOwnerId] = useState("");
  const [pageSize, setPageSize] = useState(20);
  const [pages, setPages] = useState<string[]>([""]);
  const [sort, setSort] = useState<SortOrder>("none");
  const [selected, setSelected] = useState<ReadonlySet<string>>(new Set());
  const [dialog, setDialog] = useState<Dialog>();
  const [grace, setGrace] = useState(0);
  const [notice, setNotice] = useState("");
  const [error, setError] = useState<string>();
  const bulk = scope.kind !== "mine" && isAdministrator(caller.role);

  const filters = [orgFilter, status, level, nameContains, ownerId, pageSize, scope.kind, scope.kind === "group" ? scope.group.id : org.id];
  const page = useLoad(
    () =>
      client.listTokens({
        pageSize,
        pageToken: pages.at(-1)!,
        kind: TokenKind.PERSONAL,
        status,
        nameContains,
        ownerId: scope.kind === "mine" ? caller.id : ownerId,
        organisationId: scope.kind === "mine" ? "" : scope.kind === "all" && caller.role === Role.ADMIN ? orgFilter : org.id,
        groupId: scope.kind === "group" ? scope.group.id : "",
        level: scope.kind === "organisation" ? TokenLevel.ORG : scope.kind === "group" ? TokenLevel.GROUP : level,
      }),
    [...filters, pages],
  );
  const owners = useLoad(async () => (scope.kind === "all" ? (await client.listPrincipals({ organisationId: org.id, pageSize: 500 })).principals : []), [scope.kind, org.id]);

  const refilter = (apply: () => void) => {
    apply();
    setPages([""]);
    setSelected(new Set());
  };
  const tokens = useMemo(() => {
    const list = [...(page.data?.tokens ?? [])];
    if (sort === "none") return list;
    // No expiry sorts last, as "furthest away".
    const at = (t: Token) => (t.expireTime ? timestampDate(t.expireTime).getTime() : Number.MAX_SAFE_INTEGER);
    return list.sort((a, b) => (sort === "ascending" ? at(a) - at(b) : at(b) - at(a)));
  }, [page.data, sort]);
  const selectedTokens = tokens.filter((t) => selected.has(t.id));

  /** Runs one action, says how it went, reloads the page. */
  const act = async (run: () => Promise<string>) => {
    setError(undefined);
    try {
      setNotice(await run());
      setSelected(new Set());
      page.reload();
    } catch (err) {
      setError(errorMessage(err));
    }
  };
  const closeAnd = (message: string) => {
    setDialog(undefined);
    setNotice(message);
    setSelected(new Set());
    page.reload();
  };

  const rowActions = (token: Token) => {
    const live = token.status === TokenStatus.ACTIVE || token.status === TokenStatus.DISABLED;
    return (
      <>
        {token.status === TokenStatus.ACTIVE && (
          <button type="button" aria-label={`Disable ${token.name}`} onClick={() => act(async () => `Disabled “${token.name}”.${acknowledged((await client.disableToken({ tokenId: token.id, awaitValidators })).acknowledgement)}`)}>
            Disable
          </button>
        )}
        {token.status === TokenStatus.DISABLED && (
          <button type="button" aria-label={`Enable ${token.name}`} onClick={() => act(async () => (await client.enableToken({ tokenId: token.id }), `Enabled “${token.name}”.`))}>
            Enable
          </button>
        )}
        {live && (
          <button type="button" aria-label={`Regenerate ${token.name}`} onClick={() => (setGrace(0), setDialog({ kind: "confirm", action: "regenerate", tokens: [token] }))}>
            Regenerate
          </button>
        )}
        {scope.kind === "mine" && token.status === TokenStatus.ACTIVE && (
          <button type="button" aria-label={`Exchange ${token.name}`} onClick={() => setDialog({ kind: "exchange", token })}>
            Exchange
          </button>
        )}
        {live && (
          <button type="button" class="danger-text" aria-label={`Revoke ${token.name}`} onClick={() => setDialog({ kind: "confirm", action: "revoke", tokens: [token] })}>
            Revoke
          </button>
        )}
        <button type="button" class="danger-text" aria-label={`Delete ${token.name}`} onClick={() => setDialog({ kind: "confirm", action: "delete", tokens: [token] })}>
          Delete
        </button>
      </>
    );
  };

  const levels = scope.kind === "organisation" ? [TokenLevel.ORG] : scope.kind === "group" ? [TokenLevel.GROUP] : scope.kind === "mine" ? [TokenLevel.USER] : creatableLevels(caller.role);
  const confirm = dialog?.kind === "confirm" ? confirmation(dialog.action, dialog.tokens) : undefined;

  function confirmation(action: Extract<Dialog, { kind: "confirm" }>["action"], targets: Token[]) {
    const one = targets[0]!;
    const count = `${targets.length} token${targets.length === 1 ? "" : "s"}`;
    switch (action) {
      case "revoke":
        return {
          title: `Revoke “${one.name}”?`, verb: "Revoke",
          consequence: `Revoking is permanent: ${one.displayHint} stops working at once, everywhere. The record stays, marked revoked.`,
          run: async () => closeAnd(`Revoked “${one.name}”.${acknowledged((await client.revokeToken({ tokenId: one.id, awaitValidators })).acknowledgement)}`),
        };
      case "delete":
        return {
          title: `Delete “${one.name}”?`, verb: "Delete",
          consequence: `${one.displayHint} stops working at once and disappears from every list. The audit log keeps its history.`,
          run: async () => closeAnd(`Deleted “${one.name}”.${acknowledged((await client.deleteTokens({ tokenIds: [one.id], awaitValidators })).acknowledgement)}`),
        };
      case "regenerate":
        return {
          title: `Regenerate “${one.name}”?`, verb: "Regenerate",
          consequence: `The record keeps its name, scopes and expiry and gets a new value; the old value ${one.displayHint} stops working ${grace === 0 ? "at once" : `after ${formatSeconds(grace)}`}.`,
          run: async () => {
            const done = await client.regenerateToken({ tokenId: one.id, gracePeriod: grace > 0 ? { seconds: BigInt(grace), nanos: 0 } : undefined });
            page.reload();
            setDialog({ kind: "secret", title: `New value for “${one.name}”`, value: done.tokenValue });
          },
        };
      case "bulk-delete":
        return {
          title: `Delete ${count}?`, verb: `Delete ${count}`,
          consequence: `All ${count} stop working at once and disappear from every list — all of them or, if any cannot be deleted, none. The audit log keeps their history.`,
          run: async () => closeAnd(`Deleted ${(await client.deleteTokens({ tokenIds: targets.map((t) => t.id), awaitValidators })).deletedCount} tokens.`),
        };
      case "bulk-disable":
        return {
          title: `Disable ${count}?`, verb: `Disable ${count}`,
          consequence: `All ${count} stop working until enabled again — all of them or, if any cannot be disabled, none.`,
          run: async () => closeAnd(`Disabled ${(await client.disableTokens({ tokenIds: targets.map((t) => t.id), awaitValidators })).tokens.length} tokens.`),
        };
    }
  }

  const maxGrace = durationSeconds(org.maxRegenerateGrace);
  return (
    <section aria-labelledby={ids.noTokens}>
      <div class="toolbar">
        <h2 id={ids.noTokens}>{title}</h2>
        <button type="button" class="primary" disabled={!org.apiTokensEnabled} aria-describedby={org.apiTokensEnabled ? undefined : `${ids.noTokens}-off`} onClick={() => setDialog({ kind: "create" })}>
          Create token
        </button>
      </div>
      {!org.apiTokensEnabled && (
        <p id={`${ids.noTokens}-off`} class="notice">
          API tokens are switched off for {org.name}: no token can be created, and none of its tokens works. An organisation admin can switch them on in the organisation's settings.
        </p>
      )}

      <form class="filters" onSubmit={(e) => e.preventDefault()}>
        {(organisations.data?.length ?? 0) > 0 && (
          <div class="field">
            <label for={ids.org}>Organisation</label>
            <select id={ids.org} value={orgFilter} onChange={(e) => refilter(() => (setOrgFilter(e.currentTarget.value), setOwnerId("")))}>
              <option value="">All (new tokens: {home.name})</option>
              {organisations.data?.map((o) => (
                <option key={o.id} value={o.id}>
                  {o.name}
                </option>
              ))}
            </select>
          </div>
        )}
        <div class="field">
          <label for={ids.name}>Search by name</label>
          <input id={ids.name} type="search" value={nameContains} onInput={(e) => refilter(() => setNameContains(e.currentTarget.value))} />
        </div>
        <div class="field">
          <label for={ids.status}>Status</label>
          <select id={ids.status} value={status} onChange={(e) => refilter(() => setStatus(Number(e.currentTarget.value)))}>
            <option value={TokenStatus.UNSPECIFIED}>Any</option>
            {[TokenStatus.ACTIVE, TokenStatus.DISABLED, TokenStatus.REVOKED, TokenStatus.EXPIRED].map((s) => (
              <option key={s} value={s}>
                {statusLabel[s]}
              </option>
            ))}
          </select>
        </div>
        {(scope.kind === "all" || scope.kind === "mine") && (
          <div class="field">
            <label for={ids.level}>Level</label>
            <select id={ids.level} value={level} onChange={(e) => refilter(() => setLevel(Number(e.currentTarget.value)))}>
              <option value={TokenLevel.UNSPECIFIED}>Any</option>
              {[TokenLevel.USER, TokenLevel.GROUP, TokenLevel.ORG].map((l) => (
                <option key={l} value={l}>
                  {levelLabel[l]}
                </option>
              ))}
            </select>
          </div>
        )}
        {scope.kind === "all" && (
          <div class="field">
            <label for={ids.owner}>Owner</label>
            <select id={ids.owner} value={ownerId} onChange={(e) => refilter(() => setOwnerId(e.currentTarget.value))}>
              <option value="">Anyone</option>
              {owners.data?.filter((p) => !p.systemManaged).map((p) => (
                <option key={p.id} value={p.id}>
                  {p.name}
                </option>
              ))}
            </select>
          </div>
        )}
        <div class="field">
          <label for={ids.size}>Per page</label>
          <select id={ids.size} value={pageSize} onChange={(e) => refilter(() => setPageSize(Number(e.currentTarget.value)))}>
            {[20, 50, 100].map((n) => (
              <option key={n} value={n}>
                {n}
              </option>
            ))}
          </select>
        </div>
      </form>

      <p role="status" class="announcement">
        {notice}
      </p>
      {(error ?? page.error) && (
        <p role="alert" class="error">
          {error ?? page.error}
        </p>
      )}

      {bulk && (
        <div class="selection-bar" role="group" aria-label="Selected tokens">
          <span>{selected.size} selected</span>
          <button type="button" disabled={selectedTokens.length === 0} onClick={() => setDialog({ kind: "confirm", action: "bulk-disable", tokens: selectedTokens })}>
            Disable selected
          </button>
          <button type="button" class="danger-text" disabled={selectedTokens.length === 0} onClick={() => setDialog({ kind: "confirm", action: "bulk-delete", tokens: selectedTokens })}>
            Delete selected
          </button>
        </div>
      )}

      <TokenTable
        caption={`${title}, page ${pages.length}${page.loading ? " (loading)" : ""}`}
        tokens={tokens}
        names={page.data?.principalNames ?? {}}
        timeZone={org.timeZone}
        showOwner={scope.kind !== "mine"}
        selection={bulk ? { selected, onChange: setSelected } : undefined}
        expirySort={sort}
        onSortExpiry={() => setSort(sort === "ascending" ? "descending" : "ascending")}
        actions={rowActions}
      />
      <nav class="pager" aria-label="Pages">
        <button type="button" disabled={pages.length === 1} onClick={() => (setPages(pages.slice(0, -1)), setSelected(new Set()))}>
          Previous page
        </button>
        <span>Page {pages.length}</span>
        <button type="button" disabled={!page.data?.nextPageToken} onClick={() => (setPages([...pages, page.data!.nextPageToken]), setSelected(new Set()))}>
          Next page
        </button>
      </nav>

      {dialog?.kind === "create" && (
        <CreateTokenDialog
          organisation={org}
          levels={levels}
          group={scope.kind === "group" ? scope.group : undefined}
          pickOwner={scope.kind === "all"}
          onCancel={() => setDialog(undefined)}
          onCreated={(created) => {
            page.reload();
            setNotice(`Created “${created.token?.name}”.`);
            setDialog({ kind: "secret", title: `Your new token “${created.token?.name}”`, value: created.tokenValue });
          }}
        />
      )}
      {dialog?.kind === "secret" && <SecretDialog title={dialog.title} label="Token value" value={dialog.value} onClosed={() => setDialog(undefined)} />}
      {dialog?.kind === "exchange" && (
        <ExchangeDialog
          token={dialog.token}
          maxTtlSeconds={durationSeconds(org.maxExchangeTtl)}
          onCancel={() => setDialog(undefined)}
          onExchanged={(value) => setDialog({ kind: "secret", title: `Short-lived token from “${dialog.token.name}”`, value })}
        />
      )}
      {dialog?.kind === "confirm" && confirm && (
        <ConfirmDialog title={confirm.title} verb={confirm.verb} consequence={confirm.consequence} tokens={dialog.tokens} timeZone={org.timeZone} onCancel={() => setDialog(undefined)} onConfirm={confirm.run}>
          {dialog.action === "regenerate" && (
            <div class="field">
              <label for={ids.grace}>The old value keeps working</label>
              <select id={ids.grace} value={grace} onChange={(e) => setGrace(Number(e.currentTarget.value))}>
                {graceChoices.filter((s) => s <= maxGrace).map((s) => (
                  <option key={s} value={s}>
                    {s === 0 ? "Not at all: it stops at once" : `For ${formatSeconds(s)}`}
                  </option>
                ))}
              </select>
            </div>
          )}
        </ConfirmDialog>
      )}
    </section>
  );
}

/** The levels a role is offered on the all-tokens screen; token-admin still decides each call. */
function creatableLevels(role: Role): TokenLevel[] {
  if (role === Role.ADMIN || role === Role.ORG_ADMIN) return [TokenLevel.USER, TokenLevel.GROUP, TokenLevel.ORG];
  if (role === Role.GROUP_ADMIN) return [TokenLevel.USER, TokenLevel.GROUP];
  return [TokenLevel.USER];
}
