/**
 * A confirmation before an action that is hard to undo (block, approve,
 * delete, terminate, grant, regenerate…).
 *
 * With JavaScript: a trigger button opens a modal `<dialog>` (showModal keeps
 * focus inside it and makes the rest of the page inert; Escape closes it) and
 * focus returns to the trigger when it closes. Without JavaScript, and until
 * the page has hydrated: the same content in a `<details>` disclosure, so the
 * confirmation step is never skipped. `children` is the form that does the
 * action; its submit button is the real confirmation.
 */
import { useFetchers, useNavigation } from "@remix-run/react";
import { useEffect, useId, useRef, useState } from "react";
import { useHydrated } from "remix-utils/use-hydrated";

export type ConfirmActionProps = {
  /** The trigger's text: what the person is about to do ("Block account"). */
  label: string;
  /** The dialog's heading, as a question ("Block alice@example.com?"). */
  title: string;
  /** What happens, in a sentence or two. */
  description?: React.ReactNode;
  tone?: "danger" | "normal";
  /** Closes the dialog from outside (e.g. once the action's answer arrived). */
  open?: boolean;
  onOpenChange?: (open: boolean) => void;
  triggerClassName?: string;
  /** The trigger's accessible name where its text alone is ambiguous (a "Remove" in every table row). */
  triggerAriaLabel?: string;
  children: React.ReactNode;
};

/**
 * The dialog closes as its form is sent (so the answer — an alert, a revealed key — is in view when it comes); until that
 * answer is in, the trigger says the action is under way and does not open the dialog again.
 */
function useSentUntilAnswered() {
  const navigation = useNavigation();
  const fetchers = useFetchers();
  const busy = navigation.state !== "idle" || fetchers.some((f) => f.state !== "idle");
  const [phase, setPhase] = useState<"idle" | "sent" | "busy">("idle");
  useEffect(() => {
    if (phase === "sent" && busy) setPhase("busy");
    else if (phase === "busy" && !busy) setPhase("idle");
    if (phase !== "sent") return;
    // A submission that started nothing (prevented by the page) must not leave the trigger waiting.
    const lapse = setTimeout(() => setPhase((p) => (p === "sent" ? "idle" : p)), 1000);
    return () => clearTimeout(lapse);
  }, [busy, phase]);
  return [phase !== "idle", () => setPhase("sent")] as const;
}

export function ConfirmAction({
  label,
  title,
  description,
  tone = "danger",
  open,
  onOpenChange,
  triggerClassName,
  triggerAriaLabel,
  children,
}: ConfirmActionProps) {
  const hydrated = useHydrated();
  const dialogRef = useRef<HTMLDialogElement>(null);
  const triggerRef = useRef<HTMLButtonElement>(null);
  const titleId = useId();
  const [sent, markSent] = useSentUntilAnswered();
  const triggerClass = triggerClassName ?? `btn${tone === "danger" ? " danger" : ""}`;

  useEffect(() => {
    const dialog = dialogRef.current;
    if (!dialog || open === undefined) return;
    if (open && !dialog.open) dialog.showModal();
    if (!open && dialog.open) dialog.close();
  }, [open, hydrated]);

  if (!hydrated) {
    return (
      // open: a form answered with errors comes back open, so they show without JavaScript too.
      <details className="confirm" open={open}>
        <summary className={triggerClass} aria-label={triggerAriaLabel}>
          {label}
        </summary>
        <div className="confirm-panel" role="group" aria-labelledby={titleId}>
          <h3 id={titleId}>{title}</h3>
          {description}
          {children}
        </div>
      </details>
    );
  }

  const close = () => dialogRef.current?.close();
  return (
    <>
      <button
        type="button"
        ref={triggerRef}
        className={triggerClass}
        aria-label={triggerAriaLabel}
        aria-haspopup="dialog"
        // aria-disabled, not disabled: focus comes back here when the dialog closes, and a disabled button cannot hold it.
        aria-disabled={sent || undefined}
        aria-busy={sent || undefined}
        onClick={() => {
          if (sent) return;
          dialogRef.current?.showModal();
          onOpenChange?.(true);
        }}
      >
        {label}
      </button>
      <dialog
        ref={dialogRef}
        className="confirm-dialog"
        aria-labelledby={titleId}
        onClose={() => {
          onOpenChange?.(false);
          // Back to where the person was, unless the action moved focus on purpose (a revealed key).
          if (document.activeElement === document.body || dialogRef.current?.contains(document.activeElement)) triggerRef.current?.focus();
        }}
        // The action's form submits from inside the dialog: close it so the answer (an alert, a revealed key) is visible.
        onSubmit={() => {
          markSent();
          queueMicrotask(close);
        }}
      >
        <h2 id={titleId}>{title}</h2>
        {description}
        {children}
        <p className="dialog-cancel">
          <button type="button" className="btn" onClick={close}>
            Cancel
          </button>
        </p>
      </dialog>
    </>
  );
}
