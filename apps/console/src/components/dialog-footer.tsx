/** A form dialog's last lines: the refusal token-admin gave (announced), Cancel, and the one submit button. */
export function DialogFooter(props: { error?: string | undefined; onCancel: () => void; submitLabel: string; busy?: boolean }) {
  return (
    <>
      {props.error && (
        <p role="alert" class="error">
          {props.error}
        </p>
      )}
      <div class="actions">
        <button type="button" onClick={props.onCancel}>
          Cancel
        </button>
        <button type="submit" class="primary" disabled={props.busy}>
          {props.submitLabel}
        </button>
      </div>
    </>
  );
}
