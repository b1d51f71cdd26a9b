/** The console account page's credits card: balance, the latest ledger rows, and (support/admin) the adjust form. */
import { Form } from "@remix-run/react";
import { AuthenticityTokenInput } from "remix-utils/csrf/react";
import type { LedgerKind } from "../../db/schema.js";
import { formatCents, formatSignedCents } from "../models/money.js";
import { Alert, Badge, EmptyState, When } from "./ui.js";

export interface ConsoleLedgerRow {
  id: string;
  at: string | Date;
  kind: LedgerKind;
  amountCents: string;
  balanceAfterCents: string;
  actorType: string;
  note: string | null;
}

export type CreditsField = "amountDollars" | "kind" | "reason";

/** What the `adjust` intent answers, for this card only. */
export interface CreditsOutcome {
  error: string | null;
  notice: string | null;
  fieldErrors: Partial<Record<CreditsField, string>>;
  values: { amountDollars: string; kind: string; reason: string } | null;
  /** The entry a successful post made: a new one empties the form. */
  postedId: string | null;
}

export function ConsoleCredits(props: {
  balanceCents: string;
  creditLimitCents: string;
  ledger: ConsoleLedgerRow[];
  canAdjust: boolean;
  /** A fresh id per rendering of the form: the ledger's idempotency key, so a form posted twice posts once. */
  formToken: string;
  outcome: CreditsOutcome | null;
}) {
  const { balanceCents, creditLimitCents, ledger, canAdjust, formToken, outcome } = props;
  const errors = outcome?.fieldErrors ?? {};
  const values = outcome?.values ?? { amountDollars: "", kind: "grant", reason: "" };
  return (
    <section className="card" aria-labelledby="credits-h">
      <h2 id="credits-h">Credits</h2>
      <dl className="facts">
        <dt>Balance</dt>
        <dd>
          <strong>{formatCents(balanceCents)}</strong>
        </dd>
        <dt>Credit limit</dt>
        <dd>
          {formatCents(creditLimitCents)} (usage continues down to {formatCents(-BigInt(creditLimitCents))})
        </dd>
      </dl>

      <h3>Latest ledger entries</h3>
      {ledger.length === 0 ? (
        <EmptyState>No ledger entries yet.</EmptyState>
      ) : (
        <div className="table-wrap">
          <table>
            <thead>
              <tr>
                <th scope="col">When</th>
                <th scope="col">Kind</th>
                <th scope="col">Amount</th>
                <th scope="col">Balance after</th>
                <th scope="col">By</th>
                <th scope="col">Note</th>
              </tr>
            </thead>
            <tbody>
              {ledger.map((e) => (
                <tr key={e.id}>
                  <td>
                    <When at={e.at} />
                  </td>
                  <td>
                    <Badge value={e.kind} />
                  </td>
                  <td className="mono">{formatSignedCents(e.amountCents)}</td>
                  <td className="mono">{formatCents(e.balanceAfterCents)}</td>
                  <td>{e.actorType.replace(/_/g, " ")}</td>
                  <td>{e.note ?? <span className="muted">—</span>}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}

      {canAdjust ? (
        <Form key={outcome?.postedId ?? "adjust"} method="post" aria-labelledby="adjust-h" style={{ marginTop: "1rem" }} noValidate>
          <h3 id="adjust-h">Grant or adjust credits</h3>
          {outcome?.error ? <Alert kind="error" lines={[outcome.error]} /> : null}
          {outcome?.notice ? <Alert kind="ok" lines={[outcome.notice]} /> : null}
          <AuthenticityTokenInput />
          <input type="hidden" name="adjustToken" value={formToken} />
          <div className="grid">
            <div className="field">
              <label htmlFor="credits-amount">Amount in dollars</label>
              <input
                id="credits-amount"
                name="amountDollars"
                type="text"
                inputMode="decimal"
                autoComplete="off"
                defaultValue={values.amountDollars}
                aria-invalid={errors.amountDollars ? true : undefined}
                aria-describedby={errors.amountDollars ? "credits-amount-error credits-amount-hint" : "credits-amount-hint"}
              />
              <div id="credits-amount-hint" className="hint">
                Like 10 or 10.50. Negative takes credits away (adjustments only).
              </div>
              {errors.amountDollars ? (
                <div id="credits-amount-error" className="field-error">
                  {errors.amountDollars}
                </div>
              ) : null}
            </div>
            <div className="field">
              <label htmlFor="credits-kind">Type of entry</label>
              <select
                id="credits-kind"
                name="kind"
                defaultValue={values.kind}
                aria-invalid={errors.kind ? true : undefined}
                aria-describedby={errors.kind ? "credits-kind-error" : undefined}
              >
                <option value="grant">Grant (adds credits)</option>
                <option value="adjustment">Adjustment (adds or takes away)</option>
              </select>
              {errors.kind ? (
                <div id="credits-kind-error" className="field-error">
                  {errors.kind}
                </div>
              ) : null}
            </div>
          </div>
          <div className="field">
            <label htmlFor="credits-reason">Why (for the record)</label>
            <textarea
              id="credits-reason"
              name="reason"
              rows={2}
              maxLength={500}
              defaultValue={values.reason}
              aria-invalid={errors.reason ? true : undefined}
              aria-describedby={errors.reason ? "credits-reason-error credits-reason-hint" : "credits-reason-hint"}
            />
            <div id="credits-reason-hint" className="hint">
              Required, up to 500 characters. Kept on the ledger entry for staff; the customer does not see it.
            </div>
            {errors.reason ? (
              <div id="credits-reason-error" className="field-error">
                {errors.reason}
              </div>
            ) : null}
          </div>
          <button type="submit" name="intent" value="adjust" className="btn primary">
            Post to the ledger
          </button>
        </Form>
      ) : null}
    </section>
  );
}
