import { useId, useRef, useState } from "preact/hooks";
import { Modal } from "./modal.js";

interface SecretDialogProps {
  readonly title: string;
  /** What the value is, e.g. "Token value". */
  readonly label: string;
  readonly value: string;
  readonly onClosed: () => void;
}

/** Copies `text`: the Clipboard API where the page is a secure context, else select-and-copy in `field`. */
async function copyText(text: string, field: HTMLInputElement): Promise<boolean> {
  try {
    await navigator.clipboard.writeText(text);
    return true;
  } catch {
    // Plain-HTTP intranets have no navigator.clipboard.
    field.select();
    return document.execCommand("copy");
  }
}

/**
 * Shows a new secret once, with Copy, and asks before closing: after this
 * dialog the value exists only where the person put it. The live region says
 * "Copied", never the value.
 */
export function SecretDialog({ title, label, value, onClosed }: SecretDialogProps) {
  const [announcement, setAnnouncement] = useState("");
  const [confirming, setConfirming] = useState(false);
  const field = useRef<HTMLInputElement>(null);
  const fieldId = useId();
  const warningId = useId();
  return (
    <Modal title={title} onDismiss={() => setConfirming(true)} describedBy={warningId}>
      <p id={warningId}>
        Copy it now and keep it somewhere safe. <strong>You will not see it again.</strong>
      </p>
      <div class="secret">
        <label for={fieldId}>{label}</label>
        <input id={fieldId} ref={field} class="mono" readOnly value={value} autocomplete="off" spellcheck={false} onFocus={(e) => e.currentTarget.select()} />
        <button
          type="button"
          data-initial-focus
          onClick={async () => {
            const copied = await copyText(value, field.current!);
            setAnnouncement(copied ? "Copied" : "Could not copy: select the value and copy it yourself");
          }}
        >
          Copy
        </button>
      </div>
      <p role="status" class="announcement">
        {announcement}
      </p>
      {confirming ? (
        <div role="group" aria-label="Close confirmation" class="confirm-close">
          <p>Close now? The value cannot be shown again.</p>
          <div class="actions">
            <button type="button" onClick={() => setConfirming(false)}>
              Go back
            </button>
            <button type="button" class="primary" ref={(el) => el?.focus()} onClick={onClosed}>
              Yes, close
            </button>
          </div>
        </div>
      ) : (
        <div class="actions">
          <button type="button" onClick={() => setConfirming(true)}>
            Close
          </button>
        </div>
      )}
    </Modal>
  );
}
