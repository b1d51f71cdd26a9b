/**
 * Settings → API keys: the form that creates a named key, and the confirmation
 * of a regenerate or delete — in a dialog with JavaScript (keys-table.tsx), as
 * a step a link opens without it (ConfirmStep). Both say the same words and
 * post the same form.
 */
import { Form, Link } from "@remix-run/react";
import { AuthenticityTokenInput } from "remix-utils/csrf/react";
import { Field } from "../forms.js";
import { Alert } from "../ui.js";

export const KEYS_PAGE = "/settings/api-keys";

export function CreateKeyForm({ maxLength, nameError, name }: { maxLength: number; nameError: string | null; name: string }) {
  return (
    <Form method="post" action={KEYS_PAGE} aria-labelledby="create-h">
      <h2 id="create-h">Create an additional key</h2>
      <AuthenticityTokenInput />
      <div className="row">
        <Field
          id="key-name"
          className="grow"
          label="Key name"
          hint={`Who or what will use it, e.g. “CI pipeline” or “Sam's laptop”. Up to ${maxLength} characters.`}
          error={nameError}
          input={{ name: "name", type: "text", required: true, maxLength, defaultValue: name }}
        />
        <div className="field">
          <button type="submit" name="intent" value="create" className="btn primary">
            Create key
          </button>
        </div>
      </div>
    </Form>
  );
}

export type KeyTarget = { id: string; kind: "main" | "additional"; name: string; display: string };

/** The question, what happens, and the button that does it. */
export function keyConfirmation(kind: "regenerate" | "delete", key: KeyTarget) {
  return kind === "regenerate"
    ? {
        title: "Regenerate the main API key?",
        body: `The current main key (${key.display}) stops working immediately: every request that still uses it is refused until you switch to the new key. The new key is shown once.`,
        button: "Regenerate API key",
      }
    : {
        title: `Delete the key “${key.name}”?`,
        body: `The key ${key.display} stops working immediately: every request that still uses it is refused. This cannot be undone.`,
        button: "Delete key",
      };
}

/** Posts to the plain page, so the answer (and the new key) shows on the list, not on a confirmation step again. */
export function KeyActionForm({ kind, keyTarget, cancel }: { kind: "regenerate" | "delete"; keyTarget: KeyTarget; cancel?: React.ReactNode }) {
  return (
    <Form method="post" action={KEYS_PAGE} className="row" style={{ marginTop: ".8rem" }}>
      <AuthenticityTokenInput />
      {kind === "delete" ? <input type="hidden" name="keyId" value={keyTarget.id} /> : null}
      <button type="submit" name="intent" value={kind} className="btn danger">
        {keyConfirmation(kind, keyTarget).button}
      </button>
      {cancel}
    </Form>
  );
}

/** Without JavaScript: the step `?confirm=regenerate` or `?confirm=delete&key=…` opens. */
export function ConfirmStep({ confirm }: { confirm: { kind: "regenerate" | "delete"; key: KeyTarget | null } }) {
  if (!confirm.key) {
    return <Alert kind="info" lines={["That key does not exist or was already deleted; there is nothing to confirm."]} />;
  }
  const text = keyConfirmation(confirm.kind, confirm.key);
  return (
    <section className="alert error" aria-labelledby="confirm-h">
      <h2 id="confirm-h" style={{ marginTop: 0 }}>
        {text.title}
      </h2>
      <p>{text.body}</p>
      <KeyActionForm
        kind={confirm.kind}
        keyTarget={confirm.key}
        cancel={
          <Link to={KEYS_PAGE} className="btn">
            Cancel
          </Link>
        }
      />
    </section>
  );
}
