import { timestampDate } from "@bufbuild/protobuf/wkt";
import { useId, useState } from "preact/hooks";
import { clientPresenting, errorMessage, type AdminClient } from "../api.js";
import type { Session } from "../session.js";

interface SignInProps {
  readonly client: AdminClient;
  /** Why the person is here again (session ended, signed out). */
  readonly notice: string | undefined;
  readonly onSignedIn: (session: Session) => void;
}

/** Organisation + user + password, or a pasted token (the built-in admin's first visit). */
export function SignIn({ client, notice, onSignedIn }: SignInProps) {
  const ids = { org: useId(), user: useId(), password: useId(), token: useId() };
  const [error, setError] = useState<string>();
  const [busy, setBusy] = useState(false);

  const withPassword = async (event: Event) => {
    event.preventDefault();
    const form = event.currentTarget as HTMLFormElement;
    const field = (name: string) => (form.elements.namedItem(name) as HTMLInputElement).value;
    setBusy(true);
    setError(undefined);
    try {
      const done = await client.signIn({ organisation: field("organisation"), userName: field("user"), password: field("password") });
      onSignedIn({ token: done.sessionToken, expiresAt: done.expireTime ? timestampDate(done.expireTime).getTime() : undefined });
    } catch (err) {
      setError(errorMessage(err));
      setBusy(false);
    }
  };
  const withToken = async (event: Event) => {
    event.preventDefault();
    const input = (event.currentTarget as HTMLFormElement).elements.namedItem("token") as HTMLInputElement;
    const token = input.value.trim();
    setBusy(true);
    setError(undefined);
    try {
      // Checked before it is kept: a wrong paste never becomes the session.
      await clientPresenting(token).getCaller({});
      input.value = "";
      onSignedIn({ token });
    } catch (err) {
      setError(errorMessage(err));
      setBusy(false);
    }
  };

  return (
    <main class="sign-in" id="main">
      <h1 tabIndex={-1}>Sign in to Tessera</h1>
      {notice && (
        <p role="alert" class="notice">
          {notice}
        </p>
      )}
      {error && (
        <p role="alert" class="error">
          {error}
        </p>
      )}
      <form onSubmit={withPassword} aria-labelledby={`${ids.org}-h`}>
        <h2 id={`${ids.org}-h`}>With your password</h2>
        <div class="field">
          <label for={ids.org}>Organisation</label>
          <input id={ids.org} name="organisation" required autocomplete="organization" />
        </div>
        <div class="field">
          <label for={ids.user}>User name</label>
          <input id={ids.user} name="user" required autocomplete="username" />
        </div>
        <div class="field">
          <label for={ids.password}>Password</label>
          <input id={ids.password} name="password" type="password" required autocomplete="current-password" />
        </div>
        <button type="submit" class="primary" disabled={busy}>
          Sign in
        </button>
      </form>
      <form onSubmit={withToken} aria-labelledby={`${ids.token}-h`}>
        <h2 id={`${ids.token}-h`}>With a token</h2>
        <p class="hint">For the built-in admin's first visit: paste the token printed when Tessera first started. It is kept for this tab only.</p>
        <div class="field">
          <label for={ids.token}>Admin token</label>
          <input id={ids.token} name="token" type="password" required autocomplete="off" />
        </div>
        <button type="submit" disabled={busy}>
          Sign in with token
        </button>
      </form>
    </main>
  );
}
