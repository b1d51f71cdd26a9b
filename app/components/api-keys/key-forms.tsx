/**
 * Settings → API keys: the form that creates a named key (with an optional
 * expiry and monthly spend limit), and the confirmation of every key action
 * — regenerate, roll, stop a rolled key, set a spend limit, delete — in a
 * dialog with JavaScript (keys-table.tsx), as a step a link opens without it
 * (ConfirmStep). Both say the same words and post the same form.
 */
import { Form, Link } from "@remix-run/react";
import { useState } from "react";
import { AuthenticityTokenInput } from "remix-utils/csrf/react";
import { useHydrated } from "remix-utils/use-hydrated";
import type { ApiKeysPage, KeyAction } from "../../presenters/api-keys-page.server.js";
import { EXPIRY_CHOICES } from "../../validation/key-options.js";
import { Field, SelectField, type FieldErrors } from "../forms.js";
import { Alert } from "../ui.js";
import { KEYS_PAGE, type CreateField } from "./action-data.js";

export { KEYS_PAGE };

export function CreateKeyForm({
  maxLength,
  expiryBounds,
  errors,
  values,
}: {
  maxLength: number;
  expiryBounds: { min: string; max: string };
  errors: FieldErrors<CreateField>;
  values: Record<CreateField, string> | null;
}) {
  const hydrated = useHydrated();
  const [expires, setExpires] = useState(values?.expires ?? "never");
  // Without JavaScript the date is always there (the server says if it conflicts); with it, only once "On a date…" is chosen.
  const showDate = !hydrated || expires === "date";
  return (
    <Form method="post" action={KEYS_PAGE} aria-labelledby="create-h" className="create-key">
      <h2 id="create-h">Create an additional key</h2>
      <AuthenticityTokenInput />
      <Field
        id="key-name"
        label="Key name"
        hint={`Who or what will use it, e.g. “CI pipeline” or “Sam's laptop”. Up to ${maxLength} characters.`}
        error={errors.name}
        input={{ name: "name", type: "text", required: true, maxLength, defaultValue: values?.name ?? "" }}
      />
      <div className="row key-options">
        <SelectField
          id="key-expires"
          label="Expires"
          hint="An expired key is refused, and stays listed until you delete it."
          error={errors.expires}
          options={EXPIRY_CHOICES}
          select={{ name: "expires", value: expires, onChange: (e) => setExpires(e.currentTarget.value) }}
        />
        {showDate ? (
          <Field
            id="key-expires-on"
            label={hydrated ? "Expiry date" : "Expiry date (with “On a date…”)"}
            hint="It stops at 00:00 UTC on this day."
            error={errors.expiresOn}
            input={{ name: "expiresOn", type: "date", min: expiryBounds.min, max: expiryBounds.max, defaultValue: values?.expiresOn ?? "" }}
          />
        ) : null}
        <Field
          id="key-spend-limit"
          label="Monthly spend limit (optional)"
          hint="In dollars, e.g. 100 or 250.50. Empty: no limit."
          error={errors.spendLimit}
          input={{ name: "spendLimit", type: "text", inputMode: "decimal", autoComplete: "off", defaultValue: values?.spendLimit ?? "" }}
        />
      </div>
      <button type="submit" name="intent" value="create" className="btn primary">
        Create key
      </button>
    </Form>
  );
}

export type KeyTarget = {
  id: string;
  kind: "main" | "additional";
  name: string;
  display: string;
  expiry?: string | null;
  spentThisMonth?: string;
  spendLimit?: string | null;
  spendLimitInput?: string;
};

/** What the wording needs from the page: whether there is a main key to replace, and a rolled one a regenerate would stop too. */
export type ConfirmContext = Pick<ApiKeysPage, "hasPrimary" | "rolled" | "rollWindows" | "defaultRollWindow">;

/** The menu item, the question, what happens, and the button that does it. */
export function keyConfirmation(kind: KeyAction, key: KeyTarget | null, ctx: ConfirmContext) {
  const rolledToo = ctx.rolled ? ` The previous main key still in its grace window (${ctx.rolled.display}) stops too.` : "";
  switch (kind) {
    case "regenerate":
      return ctx.hasPrimary && key
        ? {
            trigger: "Regenerate API key",
            title: "Regenerate the main API key?",
            body: `The current main key (${key.display}) stops working immediately: every request that still uses it is refused until you switch to the new key.${rolledToo} The new key is shown once.`,
            button: "Regenerate API key",
            tone: "danger" as const,
          }
        : {
            trigger: "Create a new main key",
            title: "Create a new main key?",
            body: `This account has no working main key. A new one is made and shown once: put it wherever the old one was used.${rolledToo}`,
            button: "Create a new main key",
            tone: "normal" as const,
          };
    case "roll":
      return {
        trigger: "Roll API key",
        title: "Roll the main API key?",
        body: `A new main key is made and shown once. The current one (${key?.display ?? "—"}) keeps working for the time you choose, so you can switch everything over without downtime; then it stops. You can stop it earlier from its ⋯ menu. If you think the key leaked, regenerate instead: that stops it at once.`,
        button: "Roll API key",
        tone: "normal" as const,
      };
    case "stop":
      return {
        trigger: "Stop the old key now",
        title: "Stop the old main key now?",
        body: `The previous main key (${key?.display ?? "—"}) stops working immediately instead of at the end of its window${key?.expiry ? ` (it ${key.expiry})` : ""}: every request that still uses it is refused. The current main key is untouched.`,
        button: "Stop the old key now",
        tone: "danger" as const,
      };
    case "limit":
      return {
        trigger: key?.spendLimit ? "Change spend limit" : "Set spend limit",
        title: `Monthly spend limit of “${key?.name ?? "the key"}”`,
        body: `A request that would take this key's usage in a calendar month (UTC) past the limit is refused (402, key_spend_limit_reached); the account's balance rules still apply. Leave the field empty to remove the limit.`,
        button: "Save spend limit",
        tone: "normal" as const,
      };
    case "delete":
      return {
        trigger: "Delete key",
        title: `Delete the key “${key?.name ?? ""}”?`,
        body: `The key ${key?.display ?? ""} stops working immediately: every request that still uses it is refused. This cannot be undone.`,
        button: "Delete key",
        tone: "danger" as const,
      };
  }
}

/**
 * Posts to the plain page, so the answer (and a new key) shows on the list,
 * not on a confirmation step again. `where` keeps field ids unique when the
 * same form sits in a row's dialog and in the step.
 */
export function KeyActionForm({
  kind,
  keyTarget,
  ctx,
  where,
  limit,
  cancel,
}: {
  kind: KeyAction;
  keyTarget: KeyTarget | null;
  ctx: ConfirmContext;
  where: string;
  /** The spend limit field's value and error (a refused limit comes back with both). */
  limit?: { value: string; error: string | null };
  cancel?: React.ReactNode;
}) {
  const text = keyConfirmation(kind, keyTarget, ctx);
  return (
    <Form method="post" action={KEYS_PAGE} className="key-action-form">
      <AuthenticityTokenInput />
      {(kind === "delete" || kind === "stop" || kind === "limit") && keyTarget ? <input type="hidden" name="keyId" value={keyTarget.id} /> : null}
      {kind === "roll" ? (
        <SelectField
          id={`roll-window-${where}`}
          label="The old key keeps working for"
          options={ctx.rollWindows}
          select={{ name: "window", defaultValue: ctx.defaultRollWindow }}
        />
      ) : null}
      {kind === "limit" ? (
        <Field
          id={`spend-limit-${where}`}
          label="Limit per month, in dollars"
          hint="E.g. 100 or 250.50; empty for no limit."
          error={limit?.error}
          input={{ name: "spendLimit", type: "text", inputMode: "decimal", autoComplete: "off", defaultValue: limit?.value ?? "" }}
        />
      ) : null}
      <div className="row">
        <button type="submit" name="intent" value={kind} className={text.tone === "danger" ? "btn danger" : "btn primary"}>
          {text.button}
        </button>
        {cancel}
      </div>
    </Form>
  );
}

/** The link that opens a row action's step without JavaScript. */
export const confirmHref = (kind: KeyAction, keyId: string) =>
  kind === "regenerate" || kind === "roll" ? `${KEYS_PAGE}?confirm=${kind}` : `${KEYS_PAGE}?confirm=${kind}&key=${keyId}`;

/** Without JavaScript: the step a `?confirm=` link opens; also where a refused spend limit comes back with its error. */
export function ConfirmStep({
  confirm,
  ctx,
  limit,
}: {
  confirm: { kind: KeyAction; key: KeyTarget | null };
  ctx: ConfirmContext;
  limit?: { value: string; error: string | null };
}) {
  // Regenerate needs no key: without a main key it makes one.
  if (!confirm.key && confirm.kind !== "regenerate") {
    const what =
      confirm.kind === "roll"
        ? "This account has no working main key to roll: create a new main key instead."
        : "That key does not exist or was already deleted; there is nothing to confirm.";
    return <Alert kind="info" lines={[what]} />;
  }
  const text = keyConfirmation(confirm.kind, confirm.key, ctx);
  return (
    <section
      className={text.tone === "danger" ? "alert error confirm-step" : "alert info confirm-step"}
      aria-labelledby="confirm-h"
      tabIndex={-1}
      id="confirm-step"
    >
      <h2 id="confirm-h" style={{ marginTop: 0 }}>
        {text.title}
      </h2>
      <p>{text.body}</p>
      {/* Only here: in a row's dialog the row itself shows it (and a page should not say it twice). */}
      {confirm.kind === "limit" && confirm.key ? (
        <p>{`Spent this month: ${confirm.key.spentThisMonth ?? "$0.00"}${confirm.key.spendLimit ? ` of ${confirm.key.spendLimit}` : ""}.`}</p>
      ) : null}
      <KeyActionForm
        kind={confirm.kind}
        keyTarget={confirm.key}
        ctx={ctx}
        where="step"
        limit={limit ?? (confirm.kind === "limit" ? { value: confirm.key?.spendLimitInput ?? "", error: null } : undefined)}
        cancel={
          <Link to={KEYS_PAGE} className="btn">
            Cancel
          </Link>
        }
      />
    </section>
  );
}
