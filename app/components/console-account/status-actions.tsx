/** The console account page's Actions card (support and admin): block, unblock, end every session. */
import { Form } from "@remix-run/react";
import { AuthenticityTokenInput } from "remix-utils/csrf/react";
import type { AccountStatus } from "../../../db/schema.js";
import { BLOCK_REASONS } from "../../models/block-reasons.js";
import { Field, SelectField } from "../forms.js";

const REASON_OPTIONS = Object.entries(BLOCK_REASONS).map(([value, label]) => ({ value, label }));

/** `inFlight`: a block, unblock or deletion still running (a second one would be refused). */
export function StatusActions({ status, inFlight }: { status: AccountStatus; inFlight: boolean }) {
  return (
    <section className="card">
      <h2>Actions</h2>
      {status === "active" ? (
        <Form method="post" className="stack" aria-labelledby="block-h">
          <h3 id="block-h">Block account</h3>
          <AuthenticityTokenInput />
          <SelectField id="reasonCode" label="Reason" options={REASON_OPTIONS} select={{ name: "reasonCode", required: true, defaultValue: "abuse" }} />
          <Field
            id="reasonText"
            label="Details (kept in the database, not in the workflow)"
            textarea={{ name: "reasonText", required: true, maxLength: 1000, rows: 2 }}
          />
          <button type="submit" name="intent" value="block" className="btn danger" disabled={inFlight}>
            Block account
          </button>
        </Form>
      ) : null}
      {status === "blocked" ? (
        <Form method="post" className="stack">
          <AuthenticityTokenInput />
          <Field id="unblockText" label="Why unblock" textarea={{ name: "reasonText", required: true, maxLength: 1000, rows: 2 }} />
          <button type="submit" name="intent" value="unblock" className="btn primary" disabled={inFlight}>
            Unblock account
          </button>
        </Form>
      ) : null}
      <Form method="post" style={{ marginTop: "1rem" }}>
        <AuthenticityTokenInput />
        <button type="submit" name="intent" value="end_sessions" className="btn">
          End all sessions of this account's users
        </button>
      </Form>
    </section>
  );
}
