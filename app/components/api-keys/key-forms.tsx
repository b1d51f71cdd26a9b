/** Settings → API keys: the form that creates a named key, and the step that confirms a regenerate or delete. */
import { Form, Link } from "@remix-run/react";
import { AuthenticityTokenInput } from "remix-utils/csrf/react";
import { Alert } from "../ui.js";

export function CreateKeyForm({ maxLength, nameError, name }: { maxLength: number; nameError: string | null; name: string }) {
  return (
    <Form method="post" action="/settings/api-keys" aria-labelledby="create-h">
      <h3 id="create-h">Create an additional key</h3>
      <AuthenticityTokenInput />
      <div className="row">
        <div className="field grow">
          <label htmlFor="key-name">Key name</label>
          <input
            id="key-name"
            name="name"
            type="text"
            required
            maxLength={maxLength}
            defaultValue={name}
            aria-invalid={nameError ? true : undefined}
            aria-describedby={nameError ? "key-name-error key-name-hint" : "key-name-hint"}
          />
          <div id="key-name-hint" className="hint">
            Who or what will use it, e.g. “CI pipeline” or “Sam's laptop”. Up to {maxLength} characters.
          </div>
          {nameError ? (
            <div id="key-name-error" className="field-error" role="alert">
              {nameError}
            </div>
          ) : null}
        </div>
        <div className="field">
          <button type="submit" name="intent" value="create" className="btn primary">
            Create key
          </button>
        </div>
      </div>
    </Form>
  );
}

type ConfirmData = { kind: "regenerate" | "delete"; key: { id: string; name: string; display: string } | null };

export function ConfirmStep({ confirm }: { confirm: ConfirmData }) {
  if (!confirm.key) {
    return <Alert kind="info" lines={["That key does not exist or was already deleted; there is nothing to confirm."]} />;
  }
  const regenerate = confirm.kind === "regenerate";
  return (
    <section className="alert error" aria-labelledby="confirm-h">
      <h2 id="confirm-h" style={{ marginTop: 0 }}>
        {regenerate ? "Regenerate the main API key?" : `Delete the key “${confirm.key.name}”?`}
      </h2>
      <p>
        {regenerate
          ? `The current main key (${confirm.key.display}) stops working immediately: every request that still uses it is refused until you switch to the new key. The new key is shown once.`
          : `The key ${confirm.key.display} stops working immediately: every request that still uses it is refused. This cannot be undone.`}
      </p>
      {/* Posts to the plain page, so the answer (and the new key) shows on the list, not on this step again. */}
      <Form method="post" action="/settings/api-keys" className="row" style={{ marginTop: ".8rem" }}>
        <AuthenticityTokenInput />
        {regenerate ? null : <input type="hidden" name="keyId" value={confirm.key.id} />}
        <button type="submit" name="intent" value={confirm.kind} className="btn danger">
          {regenerate ? "Regenerate API key" : "Delete key"}
        </button>
        <Link to="/settings/api-keys" className="btn">
          Cancel
        </Link>
      </Form>
    </section>
  );
}
