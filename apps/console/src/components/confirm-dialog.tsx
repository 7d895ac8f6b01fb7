import type { ComponentChildren } from "preact";
import { useId } from "preact/hooks";
import type { Token, TokenUseSource } from "@tessera/shared/gen/tessera/v1/token_pb";
import { surfaceLabel } from "../labels.js";
import { useConsole } from "../console-context.js";
import { formatRelative, formatTime } from "../format.js";
import { useLoad } from "../use-load.js";
import { AlertActions } from "./alert-actions.js";
import { Modal } from "./modal.js";

interface ConfirmDialogProps {
  readonly title: string;
  /** The confirming button's text, e.g. "Revoke". */
  readonly verb: string;
  /** What will stop working, in a sentence. */
  readonly consequence: string;
  readonly tokens: readonly Token[];
  readonly timeZone: string;
  /** Choices that shape the action (the regenerate grace period). */
  readonly children?: ComponentChildren;
  readonly onConfirm: () => Promise<void>;
  readonly onCancel: () => void;
}

/** At most this many tokens are looked up afresh for the preview; the rest are counted. */
const previewLimit = 20;

/** Sources listed per token at most; the rest are counted. */
const sourcesShown = 5;

/** One place the token was used from, in words: "proxy forward-auth from 203.0.113.9 on /orders — 12 uses, last 3 minutes ago". */
function UseSourceLine({ source }: { source: TokenUseSource }) {
  const seen = source.lastSeenTime ? formatRelative(source.lastSeenTime, Date.now()) : "";
  const uses = Number(source.count);
  return (
    <li>
      {surfaceLabel[source.surface] ?? source.surface}
      {source.address ? <> from <span class="mono">{source.address}</span></> : null}
      {source.route ? <> on <span class="mono">{source.route}</span></> : null} — {uses} {uses === 1 ? "use" : "uses"}, last {seen}
      {source.previousValue ? " (with the value it had before it was regenerated)" : ""}
    </li>
  );
}

/** When and from where one token was last used, freshly read: what the action will break. */
function LastUse({ token, timeZone }: { token: Token; timeZone: string }) {
  if (!token.lastUsedTime) return <li><strong>{token.name}</strong> <span class="mono">{token.displayHint}</span>: never used — nothing should break.</li>;
  const sources = token.useSources;
  return (
    <li>
      <strong>{token.name}</strong> <span class="mono">{token.displayHint}</span>: last used {formatRelative(token.lastUsedTime, Date.now())} ({formatTime(token.lastUsedTime, timeZone)}, {timeZone})
      {token.lastUsedSource ? ` from ${token.lastUsedSource}` : ""}. Whatever used it then will be refused.
      {sources.length > 0 && (
        <ul class="sources" aria-label={`Where ${token.name} is used`}>
          {sources.slice(0, sourcesShown).map((source, i) => (
            <UseSourceLine key={i} source={source} />
          ))}
          {sources.length > sourcesShown && <li>and {sources.length - sourcesShown} more places.</li>}
        </ul>
      )}
    </li>
  );
}

/**
 * The confirmation of a destructive action: an alertdialog with focus on
 * Cancel that says what stops working and — the impact preview — when and
 * from where each token was last used.
 */
export function ConfirmDialog({ title, verb, consequence, tokens, timeZone, children, onConfirm, onCancel }: ConfirmDialogProps) {
  const { client } = useConsole();
  const describedBy = useId();
  const fresh = useLoad(
    () => Promise.all(tokens.slice(0, previewLimit).map(async (t) => (await client.getToken({ tokenId: t.id })).token ?? t)),
    [tokens],
  );
  const shown = fresh.data ?? tokens.slice(0, previewLimit);
  return (
    <Modal title={title} role="alertdialog" onDismiss={onCancel} describedBy={describedBy}>
      <div id={describedBy}>
        <p>{consequence}</p>
        <h3 class="small-heading">Impact preview</h3>
        <ul class="impact">
          {shown.map((token) => (
            <LastUse key={token.id} token={token} timeZone={timeZone} />
          ))}
          {tokens.length > previewLimit && <li>and {tokens.length - previewLimit} more.</li>}
        </ul>
      </div>
      {children}
      <AlertActions verb={verb} onConfirm={onConfirm} onCancel={onCancel} />
    </Modal>
  );
}
