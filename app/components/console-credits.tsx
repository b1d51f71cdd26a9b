/** The console account page's credits card: balance, the latest ledger rows, and (support/admin) the adjust form. */
import { Form } from "@remix-run/react";
import { AuthenticityTokenInput } from "remix-utils/csrf/react";
import type { LedgerKind } from "../../db/schema.js";
import { formatCents, formatSignedCents } from "../models/money.js";
import { Field, SelectField, type FieldErrors } from "./forms.js";
import { useStepUp } from "./step-up.js";
import { DataTable, type Column } from "./table.js";
import { Alert, Badge, When } from "./ui.js";

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
  fieldErrors: FieldErrors<CreditsField>;
  values: { amountDollars: string; kind: string; reason: string } | null;
  /** The entry a successful post made: a new one empties the form. */
  postedId: string | null;
}

const LEDGER_COLUMNS: readonly Column<ConsoleLedgerRow>[] = [
  { header: "When", cell: (e) => <When at={e.at} /> },
  { header: "Kind", cell: (e) => <Badge value={e.kind} /> },
  { header: "Amount", cell: (e) => formatSignedCents(e.amountCents), className: "mono" },
  { header: "Balance after", cell: (e) => formatCents(e.balanceAfterCents), className: "mono" },
  { header: "By", cell: (e) => e.actorType.replace(/_/g, " ") },
  { header: "Note", cell: (e) => e.note ?? <span className="muted">—</span> },
];

const KIND_OPTIONS = [
  { value: "grant", label: "Grant (adds credits)" },
  { value: "adjustment", label: "Adjustment (adds or takes away)" },
];

export function ConsoleCredits(props: {
  balanceCents: string;
  creditLimitCents: string;
  ledger: ConsoleLedgerRow[];
  canAdjust: boolean;
  /** A fresh id per rendering of the form: the ledger's idempotency key, so a form posted twice posts once. */
  formToken: string;
  outcome: CreditsOutcome | null;
}) {
  const { balanceCents, creditLimitCents, ledger, canAdjust, formToken } = props;
  // After a fresh sign-in (step-up) the form comes back filled in as it was posted.
  const kept = useStepUp("adjust")?.values;
  const outcome =
    props.outcome ??
    (kept
      ? {
          error: null,
          notice: null,
          fieldErrors: {},
          postedId: null,
          values: { amountDollars: kept.amountDollars ?? "", kind: kept.kind ?? "grant", reason: kept.reason ?? "" },
        }
      : null);
  const errors: CreditsOutcome["fieldErrors"] = outcome?.fieldErrors ?? {};
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
      <DataTable caption="Ledger entries, newest first" columns={LEDGER_COLUMNS} rows={ledger} rowKey={(e) => e.id} empty="No ledger entries yet." />

      {canAdjust ? (
        <Form key={outcome?.postedId ?? "adjust"} method="post" aria-labelledby="adjust-h" style={{ marginTop: "1rem" }} noValidate>
          <h3 id="adjust-h">Grant or adjust credits</h3>
          {outcome?.error ? <Alert kind="error" lines={[outcome.error]} /> : null}
          {outcome?.notice ? <Alert kind="ok" lines={[outcome.notice]} /> : null}
          <AuthenticityTokenInput />
          <input type="hidden" name="adjustToken" value={formToken} />
          <div className="grid">
            <Field
              id="credits-amount"
              label="Amount in dollars"
              hint="Like 10 or 10.50. Negative takes credits away (adjustments only)."
              error={errors.amountDollars}
              input={{ name: "amountDollars", type: "text", inputMode: "decimal", autoComplete: "off", defaultValue: values.amountDollars }}
            />
            <SelectField
              id="credits-kind"
              label="Type of entry"
              options={KIND_OPTIONS}
              error={errors.kind}
              select={{ name: "kind", defaultValue: values.kind }}
            />
          </div>
          <Field
            id="credits-reason"
            label="Why (for the record)"
            hint="Required, up to 500 characters. Kept on the ledger entry for staff; the customer does not see it."
            error={errors.reason}
            textarea={{ name: "reason", rows: 2, maxLength: 500, defaultValue: values.reason }}
          />
          <button type="submit" name="intent" value="adjust" className="btn primary">
            Post to the ledger
          </button>
        </Form>
      ) : null}
    </section>
  );
}
