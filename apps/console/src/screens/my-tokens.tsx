import { TokensPanel } from "../components/tokens-panel.js";

/** Personal-access-token settings: the caller's own tokens. */
export function MyTokens() {
  return <TokensPanel scope={{ kind: "mine" }} title="Your tokens" />;
}
