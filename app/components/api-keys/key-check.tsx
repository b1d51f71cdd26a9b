/**
 * "Check a key": paste a key to learn whether it is a Switchboard key, has a
 * typo (its checksum does not match), is an old-format key, and whether it is
 * one of this account's keys. The field starts empty after every answer: the
 * page never shows the key back.
 */
import { Form } from "@remix-run/react";
import { forwardRef } from "react";
import { AuthenticityTokenInput } from "remix-utils/csrf/react";
import type { KeyCheck } from "../../presenters/api-keys-page.server.js";
import { Field } from "../forms.js";
import { Alert } from "../ui.js";
import { KEYS_PAGE } from "./action-data.js";

export const CheckKeyForm = forwardRef<HTMLDivElement, { answer: KeyCheck | null; error: string | null; nonce: string }>(function CheckKeyForm(
  { answer, error, nonce },
  answerRef,
) {
  return (
    <section aria-labelledby="check-h" className="key-check">
      <h2 id="check-h">Check a key</h2>
      <p className="muted">
        Getting “invalid API key”? Paste the key here to see whether it was copied whole and whether it belongs to this account. It is checked and forgotten:
        never stored, logged or shown again.
      </p>
      {/* A new form per answer, so the pasted key is gone from the field too. */}
      <Form method="post" action={KEYS_PAGE} key={nonce} autoComplete="off">
        <AuthenticityTokenInput />
        <div className="row">
          <Field
            id="check-key"
            className="grow"
            label="Key to check"
            error={error}
            input={{ name: "key", type: "text", required: true, maxLength: 200, spellCheck: false, autoComplete: "off", autoCapitalize: "off" }}
          />
          <div className="field">
            <button type="submit" name="intent" value="check" className="btn">
              Check key
            </button>
          </div>
        </div>
      </Form>
      <div ref={answerRef} tabIndex={-1} id="check-answer">
        {answer ? <Alert kind={answer.tone} lines={answer.lines} /> : null}
      </div>
    </section>
  );
});
