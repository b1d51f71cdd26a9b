/** A secret shown once (Settings → API keys): readonly, so it can be selected without JavaScript, with a copy button once JavaScript runs. */
import { useEffect, useState } from "react";

export function RevealedKey({ id, label, value }: { id: string; label: string; value: string }) {
  return (
    <div className="stack">
      <div className="alert info" role="note">
        <p>
          <strong>Copy this key now: it will not be shown again.</strong> Keep it in a password manager or your deployment's secret store. Switchboard keeps
          only a fingerprint of it.
        </p>
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
          style={{ flex: 1, minWidth: "20rem" }}
        />
        <CopyButton targetId={id} value={value} />
      </div>
    </div>
  );
}

function CopyButton({ targetId, value }: { targetId: string; value: string }) {
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
      // No clipboard access (permissions, insecure origin): leave the key selected for a manual copy.
      const input = document.getElementById(targetId);
      if (input instanceof HTMLInputElement) input.select();
      setState("failed");
    }
  };
  return (
    <>
      <button type="button" className="btn" onClick={copy} aria-describedby={`${targetId}-copy-status`}>
        Copy key
      </button>
      <span id={`${targetId}-copy-status`} role="status" className={state === "failed" ? "field-error" : "muted"}>
        {state === "copied" ? "Copied to the clipboard." : state === "failed" ? "Could not copy: the key is selected, copy it with your keyboard." : ""}
      </span>
    </>
  );
}
