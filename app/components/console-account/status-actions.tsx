/** The account page's block, unblock and "end every session" actions (support and admin), each behind its confirmation. */
import { Form } from "@remix-run/react";
import { AuthenticityTokenInput } from "remix-utils/csrf/react";
import type { AccountStatus } from "../../../db/schema.js";
import { BLOCK_REASONS } from "../../models/block-reasons.js";
import { ConfirmAction } from "../confirm-dialog.js";
import { Field, SelectField } from "../forms.js";

const REASON_OPTIONS = Object.entries(BLOCK_REASONS).map(([value, label]) => ({ value, label }));

/** `who`: how the dialogs name the account (its owner's address). `inFlight`: a block, unblock or deletion still running (a second one would be refused). */
export function StatusActions({ status, inFlight, who }: { status: AccountStatus; inFlight: boolean; who: string }) {
  if (inFlight && (status === "active" || status === "blocked")) {
    return <p className="muted">A block, unblock or deletion is running; its progress is below. The next one can start once it ends.</p>;
  }
  if (status === "active") {
    return (
      <ConfirmAction
        label="Block account"
        title={`Block ${who}?`}
        description={<p>Every key and session stops at once and nobody of the account can sign in until it is unblocked.</p>}
      >
        <Form method="post" className="stack" aria-labelledby="block-h">
          <h3 id="block-h" className="sr-only">
            Block account
          </h3>
          <AuthenticityTokenInput />
          <SelectField id="reasonCode" label="Reason" options={REASON_OPTIONS} select={{ name: "reasonCode", required: true, defaultValue: "abuse" }} />
          <Field
            id="reasonText"
            label="Details (kept in the database, not in the workflow)"
            textarea={{ name: "reasonText", required: true, maxLength: 1000, rows: 2 }}
          />
          <button type="submit" name="intent" value="block" className="btn danger">
            Block account
          </button>
        </Form>
      </ConfirmAction>
    );
  }
  if (status === "blocked") {
    return (
      <ConfirmAction label="Unblock account" title={`Unblock ${who}?`} tone="normal" description={<p>Its people can sign in again and its keys work again.</p>}>
        <Form method="post" className="stack">
          <AuthenticityTokenInput />
          <Field id="unblockText" label="Why unblock" textarea={{ name: "reasonText", required: true, maxLength: 1000, rows: 2 }} />
          <button type="submit" name="intent" value="unblock" className="btn primary">
            Unblock account
          </button>
        </Form>
      </ConfirmAction>
    );
  }
  return null;
}

export function EndSessionsAction({ who, activeSessions }: { who: string; activeSessions: number }) {
  return (
    <ConfirmAction
      label="End all sessions"
      title={`End every session of ${who}'s users?`}
      description={<p>{`${activeSessions} active session${activeSessions === 1 ? "" : "s"}: everyone is signed out and signs in again. Keys keep working.`}</p>}
    >
      <Form method="post">
        <AuthenticityTokenInput />
        <button type="submit" name="intent" value="end_sessions" className="btn danger">
          End all sessions
        </button>
      </Form>
    </ConfirmAction>
  );
}
