import type { ComponentChildren } from "preact";
import { useEffect, useId, useRef } from "preact/hooks";

interface ModalProps {
  readonly title: string;
  /** "alertdialog" for confirmations of destructive actions. */
  readonly role?: "dialog" | "alertdialog";
  /** Escape (the dialog's cancel event): the owner decides whether it closes. */
  readonly onDismiss: () => void;
  readonly describedBy?: string;
  readonly children: ComponentChildren;
}

/**
 * A native modal <dialog>: the page behind is inert and focus stays inside.
 * Opens when mounted, focusing the element marked data-initial-focus (else the
 * first control); closes when unmounted, giving focus back to its opener.
 */
export function Modal({ title, role = "dialog", onDismiss, describedBy, children }: ModalProps) {
  const ref = useRef<HTMLDialogElement>(null);
  const titleId = useId();
  useEffect(() => {
    const opener = document.activeElement instanceof HTMLElement ? document.activeElement : undefined;
    const dialog = ref.current!;
    dialog.showModal();
    (dialog.querySelector<HTMLElement>("[data-initial-focus]") ?? dialog.querySelector<HTMLElement>("input, select, textarea, button"))?.focus();
    return () => {
      dialog.close();
      // The opener may have gone with its row (a deleted token): fall back to the screen's heading.
      if (opener?.isConnected) opener.focus();
      else document.querySelector<HTMLElement>("main h1")?.focus();
    };
  }, []);
  return (
    <dialog
      ref={ref}
      role={role === "alertdialog" ? "alertdialog" : undefined}
      aria-labelledby={titleId}
      aria-describedby={describedBy}
      onCancel={(event) => {
        event.preventDefault();
        onDismiss();
      }}
    >
      <h2 id={titleId}>{title}</h2>
      {children}
    </dialog>
  );
}
