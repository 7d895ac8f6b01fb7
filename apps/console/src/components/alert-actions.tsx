import { useState } from "preact/hooks";
import { errorMessage } from "../api.js";

/**
 * A destructive confirmation's last lines: token-admin's refusal (announced),
 * Cancel (where focus starts) and the one dangerous button, busy while it runs.
 */
export function AlertActions(props: { verb: string; onConfirm: () => Promise<void>; onCancel: () => void }) {
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string>();
  return (
    <>
      {error && (
        <p role="alert" class="error">
          {error}
        </p>
      )}
      <div class="actions">
        <button type="button" data-initial-focus onClick={props.onCancel}>
          Cancel
        </button>
        <button
          type="button"
          class="danger"
          disabled={busy}
          onClick={async () => {
            setBusy(true);
            setError(undefined);
            try {
              await props.onConfirm();
            } catch (err) {
              setError(errorMessage(err));
              setBusy(false);
            }
          }}
        >
          {props.verb}
        </button>
      </div>
    </>
  );
}
