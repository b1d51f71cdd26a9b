/**
 * The open state of one action's confirmation (ConfirmAction's open/onOpenChange). The dialog
 * closes as its form submits (so the page's answer is visible); when the answer
 * is that form's own errors, or a fresh sign-in brought its values back, the
 * dialog opens again on them — and without JavaScript the disclosure renders open.
 */
import { useEffect, useState } from "react";

/** `reopenOn`: the answer that should show inside this dialog (a new object each time), or null. */
export function useConfirmOpen(reopenOn: object | null) {
  const [open, setOpen] = useState(reopenOn !== null);
  useEffect(() => {
    if (reopenOn !== null) setOpen(true);
  }, [reopenOn]);
  return { open, onOpenChange: setOpen };
}
