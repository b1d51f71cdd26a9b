/**
 * A secret shown once (an API key, a one-time password): readonly, so it can be
 * selected and copied without JavaScript, with a copy button once JavaScript runs.
 */
import { useEffect, useState } from "react";

export function RevealedSecret({
  id,
  what,
  label,
  value,
  note,
  minWidth = "20rem",
}: {
  id: string;
  what: "key" | "password";
  label: string;
  value: string;
  /** What to do with it, shown above (starting "Copy this … now"). */
  note: React.ReactNode;
  minWidth?: string;
}) {
  return (
    <div className="stack">
      <div className="alert info" role="note">
        <p>{note}</p>
      </div>
      <label htmlFor={id}>{label}</label>
      <div className="row" style={{ alignItems: "center" }}>
        <input
          id={id}
          type="text"
          className="mono grow"
          readOnly
          value={value}
          spellCheck={false}
          autoComplete="off"
          onFocus={(e) => e.currentTarget.select()}
          style={{ flex: 1, minWidth }}
        />
        <CopyButton targetId={id} what={what} value={value} />
      </div>
    </div>
  );
}

/** Copies `value`; where the clipboard is refused, selects the element `targetId` (an input, or the text of a <pre>) for a manual copy. */
export function CopyButton({ targetId, what, value }: { targetId: string; what: "key" | "password" | "command"; value: string }) {
  // Rendered only once JavaScript runs: without it the button could do nothing, and the input is the way to copy.
  const [ready, setReady] = useState(false);
  const [state, setState] = useState<"idle" | "copied" | "failed">("idle");
  useEffect(() => setReady(true), []);
  if (!ready) return null;
  const copy = async () => {
    try {
      await navigator.clipboard.writeText(value);
      setState("copied");
    } catch {
      // No clipboard access (permissions, insecure origin): leave the secret selected for a manual copy.
      const target = document.getElementById(targetId);
      if (target instanceof HTMLInputElement) target.select();
      else if (target) window.getSelection()?.selectAllChildren(target);
      setState("failed");
    }
  };
  return (
    <>
      <button type="button" className="btn" onClick={copy} aria-describedby={`${targetId}-copy-status`}>
        {what === "password" ? "Copy password" : what === "command" ? "Copy command" : "Copy key"}
      </button>
      <span id={`${targetId}-copy-status`} role="status" className={state === "failed" ? "field-error" : "muted"}>
        {state === "copied" ? "Copied to the clipboard." : state === "failed" ? `Could not copy: the ${what} is selected, copy it with your keyboard.` : ""}
      </span>
    </>
  );
}
