import { useId, useState } from "preact/hooks";
import type { Token } from "@tessera/shared/gen/tessera/v1/token_pb";
import { clientPresenting, errorMessage } from "../api.js";
import { formatSeconds } from "../format.js";
import { Modal } from "./modal.js";
import { DialogFooter } from "./dialog-footer.js";

interface ExchangeDialogProps {
  readonly token: Token;
  readonly maxTtlSeconds: number;
  readonly onExchanged: (value: string) => void;
  readonly onCancel: () => void;
}

const ttlChoices = [300, 900, 3600, 4 * 3600, 86400];

/**
 * ExchangeToken turns the token *presented* into a short-lived one, and the
 * console never holds a token's value: so the person pastes it here. It goes
 * out in this one request's header and is kept nowhere.
 */
export function ExchangeDialog({ token, maxTtlSeconds, onExchanged, onCancel }: ExchangeDialogProps) {
  const ids = { value: useId(), ttl: useId() };
  const choices = ttlChoices.filter((s) => s <= maxTtlSeconds);
  const [ttl, setTtl] = useState(choices.at(-1) ?? maxTtlSeconds);
  const [error, setError] = useState<string>();
  const submit = async (event: Event) => {
    event.preventDefault();
    const field = (event.currentTarget as HTMLFormElement).elements.namedItem("value") as HTMLInputElement;
    try {
      const done = await clientPresenting(field.value.trim()).exchangeToken({ ttl: { seconds: BigInt(ttl), nanos: 0 } });
      field.value = "";
      onExchanged(done.tokenValue);
    } catch (err) {
      setError(errorMessage(err));
    }
  };
  return (
    <Modal title={`Exchange “${token.name}” for a short-lived token`} onDismiss={onCancel}>
      <form onSubmit={submit}>
        <p>The short-lived token dies with “{token.name}”: revoking, disabling or deleting it ends both.</p>
        <div class="field">
          <label for={ids.value}>Value of {token.displayHint}</label>
          <input id={ids.value} name="value" type="password" required autocomplete="off" />
        </div>
        <div class="field">
          <label for={ids.ttl}>Lifetime</label>
          <select id={ids.ttl} value={ttl} onChange={(e) => setTtl(Number(e.currentTarget.value))}>
            {(choices.length > 0 ? choices : [maxTtlSeconds]).map((s) => (
              <option key={s} value={s}>
                {formatSeconds(s)}
              </option>
            ))}
          </select>
        </div>
        <DialogFooter error={error} onCancel={onCancel} submitLabel="Exchange" />
      </form>
    </Modal>
  );
}
