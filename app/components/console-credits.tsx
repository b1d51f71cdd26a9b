/** The console account page's credits: the latest ledger rows, and (support/admin) the adjust form behind its confirmation. */
import { Form } from "@remix-run/react";
import { AuthenticityTokenInput } from "remix-utils/csrf/react";
import type { LedgerKind } from "../../db/schema.js";
import { formatCents, formatSignedCents } from "../models/money.js";
import { ConfirmAction } from "./confirm-dialog.js";
import { useConfirmOpen } from "../hooks/use-confirm-open.js";
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

/** The balance and the credit limit are in the page's overview; this is the record behind them. */
export function ConsoleCredits({ ledger }: { ledger: ConsoleLedgerRow[] }) {
  return (
    <section className="card" aria-labelledby="credits-h">
      <h2 id="credits-h">Credits</h2>
      <DataTable
        caption="Latest ledger entries, newest first"
        captionVisible
        columns={LEDGER_COLUMNS}
        rows={ledger}
        rowKey={(e) => e.id}
        empty="No ledger entries yet."
      />
    </section>
  );
}

/** "Grant or adjust credits" (support and admin). A posted entry's notice shows on the page; the form's own errors open it again. */
export function CreditsAction(props: {
  who: string;
  /** A fresh id per rendering of the form: the ledger's idempotency key, so a form posted twice posts once. */
  formToken: string;
  outcome: CreditsOutcome | null;
}) {
  const { who, formToken } = props;
  // After a fresh sign-in (step-up) the form comes back filled in as it was posted.
  const stepUp = useStepUp("adjust");
  const kept = stepUp && !stepUp.signInNeeded ? stepUp.values : null;
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
  const dialog = useConfirmOpen(props.outcome?.error ? props.outcome : kept ? stepUp : null);
  const errors: CreditsOutcome["fieldErrors"] = outcome?.fieldErrors ?? {};
  const values = outcome?.values ?? { amountDollars: "", kind: "grant", reason: "" };
  return (
    <ConfirmAction
      label="Grant or adjust credits"
      title={`Post credits to ${who}?`}
      tone="normal"
      description={<p>The entry goes on the account's ledger at once and changes its balance; a mistake is undone by another adjustment.</p>}
      {...dialog}
    >
      <Form key={outcome?.postedId ?? "adjust"} method="post" aria-labelledby="adjust-h" noValidate>
        <h3 id="adjust-h" className="sr-only">
          Grant or adjust credits
        </h3>
        {outcome?.error ? <Alert kind="error" lines={[outcome.error]} /> : null}
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
    </ConfirmAction>
  );
}
