import { useEffect, useState } from "react";

/** A one-time password or a new key, shown once: readonly (selectable without JavaScript), with a copy button once JavaScript runs. */
export function RevealedSecret({ id, what, label, value }: { id: string; what: "password" | "key"; label: string; value: string }) {
  const [ready, setReady] = useState(false);
  const [state, setState] = useState<"idle" | "copied" | "failed">("idle");
  useEffect(() => setReady(true), []);
  const copy = async () => {
    try {
      await navigator.clipboard.writeText(value);
      setState("copied");
    } catch {
      const input = document.getElementById(id);
      if (input instanceof HTMLInputElement) input.select();
      setState("failed");
    }
  };
  return (
    <div className="stack">
      <div className="alert info" role="note">
        {what === "password" ? (
          <p>
            <strong>Copy this password now: it will not be shown again.</strong> Give it to the person privately; it works for one sign-in, after which they
            choose their own. Switchboard keeps only a hash of it.
          </p>
        ) : (
          <p>
            <strong>Copy this key now: it will not be shown again.</strong> Switchboard keeps only a hash of it. If you lose it, regenerate the main key under
            API keys.
          </p>
        )}
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
          style={{ flex: 1, minWidth: "16rem" }}
        />
        {ready ? (
          <>
            <button type="button" className="btn" onClick={copy} aria-describedby={`${id}-copy-status`}>
              {what === "password" ? "Copy password" : "Copy key"}
            </button>
            <span id={`${id}-copy-status`} role="status" className={state === "failed" ? "field-error" : "muted"}>
              {state === "copied"
                ? "Copied to the clipboard."
                : state === "failed"
                  ? `Could not copy: the ${what} is selected, copy it with your keyboard.`
                  : ""}
            </span>
          </>
        ) : null}
      </div>
    </div>
  );
}
