/**
 * The console account page's payments (issue 18), from the database mirror:
 * the open billing flags at the top of the page (each with "Mark resolved"),
 * and a Payments section with the provider's customer, the cards, the latest
 * payments, the auto-recharge rule and its caps (support and admin change
 * them behind a confirmation and a recent sign-in). Provider strings are text;
 * the presenter only passes on receipt links that are http(s).
 */
import { Form } from "@remix-run/react";
import { AuthenticityTokenInput } from "remix-utils/csrf/react";
import { useConfirmOpen } from "../../hooks/use-confirm-open.js";
import { centsToDollarsInput, formatCents } from "../../models/money.js";
import type { ConsoleAccountPayments } from "../../presenters/console-account-payments.server.js";
import { ConfirmAction } from "../confirm-dialog.js";
import { Field, type FieldErrors } from "../forms.js";
import { useStepUp } from "../step-up.js";
import { DataTable, type Column } from "../table.js";
import { Alert, Badge, EmptyState, When } from "../ui.js";

type Payments = ConsoleAccountPayments;

/** What the `limits` intent answers, for the caps form. */
export interface LimitsOutcome {
  fieldErrors: FieldErrors<"perRechargeDollars" | "perDayDollars">;
  values: { perRechargeDollars: string; perDayDollars: string };
}

/** The flags support must decide on, above everything else on the page. */
export function BillingFlags({ flags, canAct, who }: Pick<Payments, "flags" | "canAct"> & { who: string }) {
  if (flags.length === 0) return null;
  return (
    <section className="billing-flags" aria-labelledby="billing-flags-h">
      <h2 id="billing-flags-h">{flags.length === 1 ? "A billing flag needs a decision" : `${flags.length} billing flags need a decision`}</h2>
      <ul>
        {flags.map((f) => (
          <li key={f.id}>
            <Alert kind="error" lines={[f.message]} />
            <p className="muted">
              Raised <When at={f.createdAt} />
              {f.paymentIntentId ? (
                <>
                  {" · PaymentIntent "}
                  <code>{f.paymentIntentId}</code>
                </>
              ) : null}
            </p>
            {canAct ? (
              <ConfirmAction
                label="Mark resolved"
                title={`Mark this billing flag of ${who} resolved?`}
                tone="normal"
                triggerAriaLabel={`Mark resolved: ${f.message}`}
                description={<p>The flag leaves the page; the audit trail keeps who resolved it. Post any adjustment under Actions first.</p>}
              >
                <Form method="post">
                  <AuthenticityTokenInput />
                  <input type="hidden" name="flagId" value={f.id} />
                  <button type="submit" name="intent" value="resolve_flag" className="btn primary">
                    Mark resolved
                  </button>
                </Form>
              </ConfirmAction>
            ) : null}
          </li>
        ))}
      </ul>
    </section>
  );
}

const CARD_COLUMNS: readonly Column<Payments["cards"][number]>[] = [
  { header: "Card", cell: (c) => c.label, className: "cell-nowrap" },
  { header: "Expires", cell: (c) => c.expires, className: "cell-nowrap" },
  { header: "Saved", cell: (c) => <When at={c.savedAt} />, className: "cell-nowrap" },
  { header: "Removed", cell: (c) => (c.removedAt ? <When at={c.removedAt} /> : <Badge value="in_use" />), className: "cell-nowrap" },
];

const KIND_LABEL = { purchase: "Purchase", recharge: "Auto-recharge" } as const;

/** Five columns, so the table fits a desktop page: each cell's detail (card, refund, code, receipt) on its second line. */
const PAYMENT_COLUMNS: readonly Column<Payments["payments"][number]>[] = [
  { header: "When", cell: (p) => <When at={p.at} /> },
  {
    header: "Kind and card",
    cell: (p) => (
      <>
        {KIND_LABEL[p.kind]}
        {p.card ? <span className="cell-detail">{p.card}</span> : null}
      </>
    ),
    className: "cell-nowrap",
  },
  {
    header: "Amount",
    cell: (p) => (
      <>
        {formatCents(p.amountCents)}
        {BigInt(p.refundedCents) > 0n ? (
          <span className="cell-detail">{`${formatCents(p.refundedCents)} refunded${p.refundPending ? ", not posted" : ""}`}</span>
        ) : null}
      </>
    ),
    className: "cell-nowrap cell-num",
  },
  {
    header: "Status",
    cell: (p) => (
      <>
        <Badge value={p.status} />
        {p.failureCode ? <code className="cell-detail">{p.failureCode}</code> : null}
      </>
    ),
  },
  {
    header: "PaymentIntent and receipt",
    cell: (p) => (
      <>
        {p.paymentIntentId ? <code>{p.paymentIntentId}</code> : <span className="muted">—</span>}
        {p.receiptUrl ? (
          <span className="cell-detail">
            <a href={p.receiptUrl} rel="noopener noreferrer">
              Receipt<span className="sr-only">{` of the ${formatCents(p.amountCents)} payment`}</span>
            </a>
          </span>
        ) : null}
      </>
    ),
  },
];

function RuleState({ rule }: Pick<Payments, "rule">) {
  if (!rule) return <p className="muted">No auto-recharge rule.</p>;
  const how = `below ${formatCents(rule.thresholdCents)}, bring the balance up to ${formatCents(rule.targetCents)}, ${
    rule.withSavedCard ? "with the saved card" : `with the test method ${rule.paymentMethod}`
  }`;
  return (
    <dl className="facts account-facts">
      <dt>State</dt>
      <dd>
        <Badge value={rule.state} /> {rule.state === "off" ? `(was: ${how})` : how}
      </dd>
      {rule.pausedBecause ? (
        <>
          <dt>Paused because</dt>
          <dd>{`${rule.pausedBecause}. It runs again when the customer saves a working card${rule.withSavedCard ? "" : " or saves the rule again"}.`}</dd>
        </>
      ) : null}
      <dt>Last outcome</dt>
      <dd>
        {rule.lastOutcome ? (
          <>
            {rule.lastOutcome} · <When at={rule.lastOutcomeAt} />
          </>
        ) : (
          <span className="muted">none yet</span>
        )}
      </dd>
    </dl>
  );
}

export function AccountPayments({ payments, who, limitsOutcome }: { payments: Payments; who: string; limitsOutcome: LimitsOutcome | null }) {
  const { customer, cards, rule, limits } = payments;
  return (
    <section className="card console-payments" aria-labelledby="payments-h">
      <h2 id="payments-h">Payments</h2>
      <p className="muted">As the payment provider's webhooks last reported them; the page never asks the provider.</p>
      <h3>Customer</h3>
      {customer ? (
        <p>
          {customer.dashboardUrl ? (
            <a href={customer.dashboardUrl} rel="noopener noreferrer">
              <code>{customer.id}</code> in the Stripe dashboard
            </a>
          ) : (
            <code>{customer.id}</code>
          )}{" "}
          <span className="muted">
            {`(${customer.provider === "test" ? "test provider" : "Stripe"}, since `}
            <When at={customer.since} />)
          </span>
        </p>
      ) : (
        <EmptyState>No customer at the payment provider yet: the account has never paid or saved a card.</EmptyState>
      )}

      <h3>Cards</h3>
      <DataTable caption="Cards of this account, the one in use first" columns={CARD_COLUMNS} rows={cards} rowKey={(c) => c.id} empty="No card saved." />

      <h3>Recent payments</h3>
      <DataTable
        caption="Purchases and auto-recharges, newest first"
        columns={PAYMENT_COLUMNS}
        rows={payments.payments}
        rowKey={(p) => p.id}
        empty="No payments yet."
      />

      <h3>Auto-recharge</h3>
      <RuleState rule={rule} />

      <h3 id="caps-h">Auto-recharge caps</h3>
      <dl className="facts account-facts">
        <dt>Per recharge</dt>
        <dd>{formatCents(limits.perRechargeCents)}</dd>
        <dt>Per day (UTC)</dt>
        <dd>{formatCents(limits.perDayCents)}</dd>
        <dt>Set by</dt>
        <dd>
          {limits.custom
            ? `support (the defaults are ${formatCents(limits.defaultPerRechargeCents)} / ${formatCents(limits.defaultPerDayCents)})`
            : "default (the deployment's configuration)"}
        </dd>
      </dl>
      {payments.canAct ? <LimitsAction limits={limits} who={who} outcome={limitsOutcome} /> : null}
    </section>
  );
}

/** "Change caps" (support and admin): two amounts, behind a confirmation; its own errors (or a fresh sign-in) open it again. */
function LimitsAction({ limits, who, outcome }: { limits: Payments["limits"]; who: string; outcome: LimitsOutcome | null }) {
  const stepUp = useStepUp("limits");
  const kept = stepUp && !stepUp.signInNeeded ? stepUp.values : null;
  const shown =
    outcome ?? (kept ? { fieldErrors: {}, values: { perRechargeDollars: kept.perRechargeDollars ?? "", perDayDollars: kept.perDayDollars ?? "" } } : null);
  const invalid = outcome && Object.keys(outcome.fieldErrors).length > 0 ? outcome : null;
  const dialog = useConfirmOpen(invalid ?? (kept ? stepUp : null));
  const errors = shown?.fieldErrors ?? {};
  const values = shown?.values ?? { perRechargeDollars: centsToDollarsInput(limits.perRechargeCents), perDayDollars: centsToDollarsInput(limits.perDayCents) };
  const bounds = `Between ${formatCents(limits.minCents)} and ${formatCents(limits.maxCents)}.`;
  return (
    <ConfirmAction
      label="Change caps"
      title={`Change the auto-recharge caps of ${who}?`}
      tone="normal"
      description={
        <p>Every automatic top-up is cut to these amounts from the next one on; a rule asking for more still runs, up to the caps. Kept in the audit trail.</p>
      }
      {...dialog}
    >
      <Form method="post" aria-labelledby="limits-h" noValidate>
        <h3 id="limits-h" className="sr-only">
          Change the auto-recharge caps
        </h3>
        {invalid ? <Alert kind="error" lines={["The caps were not changed. Fix the fields marked below."]} /> : null}
        <AuthenticityTokenInput />
        <div className="grid">
          <Field
            id="cap-per-recharge"
            label="Most per recharge, in dollars"
            hint={`${bounds} At most the cap per day.`}
            error={errors.perRechargeDollars}
            input={{ name: "perRechargeDollars", type: "text", inputMode: "decimal", autoComplete: "off", defaultValue: values.perRechargeDollars }}
          />
          <Field
            id="cap-per-day"
            label="Most per day, in dollars"
            hint={bounds}
            error={errors.perDayDollars}
            input={{ name: "perDayDollars", type: "text", inputMode: "decimal", autoComplete: "off", defaultValue: values.perDayDollars }}
          />
        </div>
        <button type="submit" name="intent" value="limits" className="btn primary">
          Save caps
        </button>
      </Form>
    </ConfirmAction>
  );
}
