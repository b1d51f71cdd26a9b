import type { ActionFunctionArgs, LoaderFunctionArgs, MetaFunction } from "@remix-run/node";
import { data } from "@remix-run/node";
import { Form, Link, useActionData, useLoaderData } from "@remix-run/react";
import { AuthenticityTokenInput } from "remix-utils/csrf/react";
import { z } from "zod";
import type { LedgerKind } from "../../db/schema.js";
import { readFormWithCsrf } from "../auth/csrf.server.js";
import { requireUser } from "../auth/session.server.js";
import { Alert, Badge, EmptyState, When } from "../components/ui.js";
import { getMembershipRole } from "../models/memberships.server.js";
import { getBalance, listLedger, newerLedgerCursor } from "../models/ledger.server.js";
import { formatCents, parseDollarsToCents, centsToDollarsInput, formatSignedCents } from "../models/money.js";
import { can } from "../permissions.js";
import { getRechargeRule } from "../models/recharge-rules.server.js";
import { TEST_PAYMENT_METHODS } from "../payments/payment-provider.js";
import { saveRechargeRuleAndCheck, type SavedRule } from "../services/recharge.server.js";

export const meta: MetaFunction = () => [{ title: "Billing · Switchboard" }];

const Query = z.object({
  // The keyset cursor is a ledger entry id (bigserial): digits only, within int8.
  before: z
    .string()
    .regex(/^\d{1,18}$/)
    .optional(),
});

/** The largest top-up target the form accepts: a typo guard, not a business rule. */
const MAX_TARGET_CENTS = 100_000_000n;
/** The rule table refuses thresholds below −$100.00 (the default credit limit). */
const MIN_THRESHOLD_CENTS = -10_000n;

async function membership(request: Request, context: LoaderFunctionArgs["context"]) {
  const p = await requireUser(request, context);
  const role = await getMembershipRole(context.services.db, p.accountId, p.userId);
  if (!role || !can(role, "view_billing")) throw new Response("You are not a member of this account.", { status: 403 });
  return { p, role };
}

export async function loader({ request, context }: LoaderFunctionArgs) {
  const { p, role } = await membership(request, context);
  const { db } = context.services;
  const query = Query.safeParse(Object.fromEntries(new URL(request.url).searchParams));
  if (!query.success) throw new Response("That page link is not valid. Go back to Billing and page from there.", { status: 400 });
  const before = query.data.before;
  const [balance, ledger, rule, newer] = await Promise.all([
    getBalance(db, p.accountId),
    listLedger(db, p.accountId, before),
    getRechargeRule(db, p.accountId),
    before === undefined ? Promise.resolve(null) : newerLedgerCursor(db, p.accountId, before),
  ]);
  if (!balance) throw new Response("Not Found", { status: 404 });
  return {
    canManage: can(role, "manage_billing"),
    balanceCents: balance.balance_cents,
    creditLimitCents: balance.credit_limit_cents,
    ledger: ledger.rows.map((r) => ({
      id: r.id,
      at: r.created_at,
      kind: r.kind,
      amountCents: r.amount_cents,
      balanceAfterCents: r.balance_after_cents,
      // Staff write their reasons for support's record, not for the customer.
      note: r.actor_type === "staff" ? null : r.note,
    })),
    olderCursor: ledger.nextBefore,
    newer: before === undefined ? null : { cursor: newer },
    rule: rule
      ? {
          enabled: rule.enabled,
          thresholdCents: rule.threshold_cents,
          targetCents: rule.target_cents,
          paymentMethod: rule.payment_method,
          pausedReason: rule.paused_reason,
          lastOutcome: rule.last_outcome,
          lastOutcomeAt: rule.last_outcome_at,
        }
      : null,
  };
}

const RuleForm = z.object({
  intent: z.literal("save_rule"),
  enabled: z.literal("on").optional(),
  thresholdDollars: z.string().max(100),
  targetDollars: z.string().max(100),
  paymentMethod: z.string().max(100),
});

type FieldErrors = Partial<Record<"thresholdDollars" | "targetDollars" | "paymentMethod", string>>;
interface RuleValues {
  enabled: boolean;
  thresholdDollars: string;
  targetDollars: string;
  paymentMethod: string;
}

const isTestMethod = (m: string): m is keyof typeof TEST_PAYMENT_METHODS => Object.hasOwn(TEST_PAYMENT_METHODS, m);

export async function action({ request, context }: ActionFunctionArgs) {
  const form = await readFormWithCsrf(request, context);
  const { p, role } = await membership(request, context);
  if (!can(role, "manage_billing")) {
    throw new Response("Only the account's owners and admins can change billing settings. Ask one of them.", { status: 403 });
  }
  const parsed = RuleForm.safeParse(Object.fromEntries(form));
  if (!parsed.success) throw new Response("Unknown request: reload the page and try again.", { status: 400 });
  const { db } = context.services;
  const input = parsed.data;
  const values: RuleValues = {
    enabled: input.enabled === "on",
    thresholdDollars: input.thresholdDollars,
    targetDollars: input.targetDollars,
    paymentMethod: input.paymentMethod,
  };

  const balance = await getBalance(db, p.accountId);
  if (!balance) throw new Response("Not Found", { status: 404 });
  const limit = BigInt(balance.credit_limit_cents);
  const floor = -limit > MIN_THRESHOLD_CENTS ? -limit : MIN_THRESHOLD_CENTS;
  const errors: FieldErrors = {};
  const amountHint = "Enter an amount in dollars, like 10 or 10.50.";
  const threshold = parseDollarsToCents(input.thresholdDollars);
  const target = parseDollarsToCents(input.targetDollars);
  if (threshold === null) errors.thresholdDollars = amountHint;
  else if (threshold < floor) errors.thresholdDollars = `Can't be below ${formatCents(floor)}: the balance never goes lower than that.`;
  else if (threshold >= MAX_TARGET_CENTS) errors.thresholdDollars = `Must be less than ${formatCents(MAX_TARGET_CENTS)}.`;
  if (target === null) errors.targetDollars = amountHint;
  else if (target > MAX_TARGET_CENTS) errors.targetDollars = `Can't be more than ${formatCents(MAX_TARGET_CENTS)}.`;
  else if (threshold !== null && target <= threshold) {
    errors.targetDollars = "Must be greater than the “When balance goes below” amount.";
  }
  if (!isTestMethod(input.paymentMethod)) errors.paymentMethod = "Choose one of the listed payment methods.";
  if (threshold === null || target === null || Object.keys(errors).length > 0) {
    return data({ saved: null, fieldErrors: errors, values }, { status: 400 });
  }

  // Saving checks the balance at once: a rule saved below its threshold tops up now, not after the next debit.
  const { resumed, recharge } = await saveRechargeRuleAndCheck(
    context.services,
    p.accountId,
    { enabled: values.enabled, thresholdCents: threshold, targetCents: target, paymentMethod: input.paymentMethod },
    { type: "user", id: p.userId, ip: context.ip },
  );
  return data({ saved: savedMessage(resumed, recharge, threshold, target), fieldErrors: {} as FieldErrors, values: null });
}

function savedMessage(resumed: boolean, recharge: SavedRule["recharge"], threshold: bigint, target: bigint): string {
  const again = resumed ? " Auto-recharge is active again." : "";
  const below = `the balance is already below ${formatCents(threshold)}`;
  switch (recharge) {
    case "started":
      return `Saved.${again} As ${below}, a top-up to ${formatCents(target)} has started; it shows in the history below once the payment goes through.`;
    case "not_started":
      return `Saved.${again} ${below[0].toUpperCase()}${below.slice(1)}, but the top-up could not be started just now: save the rule again in a moment, or it starts with the next API call that uses credits.`;
    case "not_due":
      return resumed ? "Saved. Auto-recharge is active again and will try the payment method the next time the balance drops below the threshold." : "Saved.";
  }
}

const KIND_LABELS: Record<LedgerKind, string> = {
  grant: "Credit grant",
  usage: "Usage",
  recharge: "Auto-recharge",
  adjustment: "Adjustment",
  transfer_out: "Transferred out",
  transfer_in: "Transferred in",
};

export default function BillingPage() {
  const { canManage, balanceCents, creditLimitCents, ledger, olderCursor, newer, rule } = useLoaderData<typeof loader>();
  const outcome = useActionData<typeof action>();
  const errors: FieldErrors = outcome?.fieldErrors ?? {};
  const v: RuleValues = outcome?.values ?? {
    enabled: rule?.enabled ?? false,
    thresholdDollars: rule ? centsToDollarsInput(rule.thresholdCents) : "10.00",
    targetDollars: rule ? centsToDollarsInput(rule.targetCents) : "50.00",
    paymentMethod: rule?.paymentMethod ?? "test_card_approve",
  };
  const floor = formatCents(-BigInt(creditLimitCents));
  const errorCount = Object.keys(errors).length;

  return (
    <>
      <h1>Billing</h1>
      {rule?.pausedReason ? (
        <Alert
          kind="error"
          lines={[
            `Auto-recharge is paused because the card was declined${rule.pausedReason === "card_declined" ? "" : ` (${rule.pausedReason.replace(/_/g, " ")})`}.`,
            canManage
              ? "Check the payment method below and save the rule: saving it resumes auto-recharge."
              : "An owner or admin of this account can resume it by saving the rule.",
          ]}
        />
      ) : null}

      <section className="card" aria-labelledby="balance-h">
        <h2 id="balance-h">Balance</h2>
        <dl className="facts">
          <dt>Balance</dt>
          <dd>
            <strong>{formatCents(balanceCents)}</strong>
          </dd>
          <dt>Credit limit</dt>
          <dd>{formatCents(creditLimitCents)}</dd>
        </dl>
        <p>
          Usage may continue until the balance reaches {floor}. Below that, API calls that cost credits are refused until credits are added
          {rule?.enabled && !rule.pausedReason ? " (auto-recharge tops the balance up before then)" : ""}.
        </p>
      </section>

      <section className="card" aria-labelledby="rule-h">
        <h2 id="rule-h">Auto-recharge</h2>
        <p className="muted">
          {rule?.lastOutcome ? (
            <>
              Last outcome: {rule.lastOutcome.replace(/_/g, " ")} · <When at={rule.lastOutcomeAt} />
            </>
          ) : (
            "No automatic recharge has run yet."
          )}
        </p>
        {outcome?.saved ? <Alert kind="ok" lines={[outcome.saved]} /> : null}
        {errorCount > 0 ? <Alert kind="error" lines={["The rule was not saved. Fix the fields marked below."]} /> : null}
        {canManage ? (
          <Form method="post" aria-labelledby="rule-h" noValidate>
            <AuthenticityTokenInput />
            <div className="field">
              <label>
                <input type="checkbox" name="enabled" defaultChecked={v.enabled} /> Recharge automatically
              </label>
            </div>
            <div className="grid">
              <AmountField
                name="thresholdDollars"
                label="When balance goes below ($)"
                hint={`In dollars; may be negative, down to ${floor}.`}
                value={v.thresholdDollars}
                error={errors.thresholdDollars}
              />
              <AmountField
                name="targetDollars"
                label="Bring balance up to ($)"
                hint="In dollars; must be greater than the amount above."
                value={v.targetDollars}
                error={errors.targetDollars}
              />
            </div>
            <div className="field">
              <label htmlFor="paymentMethod">Payment method (test payment provider)</label>
              <select
                id="paymentMethod"
                name="paymentMethod"
                defaultValue={v.paymentMethod}
                aria-invalid={errors.paymentMethod ? true : undefined}
                aria-describedby={errors.paymentMethod ? "paymentMethod-error paymentMethod-hint" : "paymentMethod-hint"}
              >
                {Object.entries(TEST_PAYMENT_METHODS).map(([value, label]) => (
                  <option key={value} value={value}>
                    {label}
                  </option>
                ))}
              </select>
              <div id="paymentMethod-hint" className="hint">
                This installation charges through the built-in test payment provider: no real card is ever charged.
              </div>
              {errors.paymentMethod ? (
                <div id="paymentMethod-error" className="field-error">
                  {errors.paymentMethod}
                </div>
              ) : null}
            </div>
            <button type="submit" name="intent" value="save_rule" className="btn primary">
              Save auto-recharge rule
            </button>
          </Form>
        ) : rule ? (
          <dl className="facts">
            <dt>Status</dt>
            <dd>{rule.pausedReason ? "paused" : rule.enabled ? "on" : "off"}</dd>
            <dt>When balance goes below</dt>
            <dd>{formatCents(rule.thresholdCents)}</dd>
            <dt>Bring balance up to</dt>
            <dd>{formatCents(rule.targetCents)}</dd>
            <dt>Payment method</dt>
            <dd>{isTestMethod(rule.paymentMethod) ? TEST_PAYMENT_METHODS[rule.paymentMethod] : rule.paymentMethod}</dd>
          </dl>
        ) : (
          <p>No auto-recharge rule is set. Owners and admins of this account can set one.</p>
        )}
      </section>

      <section className="card" aria-labelledby="ledger-h">
        <h2 id="ledger-h">History</h2>
        {ledger.length === 0 ? (
          <EmptyState>{newer ? "No older entries." : "No credits or usage yet."}</EmptyState>
        ) : (
          <div className="table-wrap">
            <table>
              <caption className="sr-only">Credit history, newest first</caption>
              <thead>
                <tr>
                  <th scope="col">When</th>
                  <th scope="col">What</th>
                  <th scope="col">Amount</th>
                  <th scope="col">Balance after</th>
                </tr>
              </thead>
              <tbody>
                {ledger.map((e) => (
                  <tr key={e.id}>
                    <td>
                      <When at={e.at} />
                    </td>
                    <td>
                      <Badge value={e.kind} /> {KIND_LABELS[e.kind]}
                      {e.note ? <div className="muted">{e.note}</div> : null}
                    </td>
                    <td className="mono">{formatSignedCents(e.amountCents)}</td>
                    <td className="mono">{formatCents(e.balanceAfterCents)}</td>
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
        )}
        <nav className="pager" aria-label="History pages">
          {newer ? <Link to={newer.cursor ? `?before=${newer.cursor}` : "/settings/billing"}>← Newer</Link> : <span />}
          {olderCursor ? <Link to={`?before=${olderCursor}`}>Older →</Link> : <span />}
        </nav>
      </section>
    </>
  );
}

function AmountField(props: { name: string; label: string; hint: string; value: string; error: string | undefined }) {
  const { name, label, hint, value, error } = props;
  return (
    <div className="field">
      <label htmlFor={name}>{label}</label>
      <input
        id={name}
        name={name}
        type="text"
        inputMode="decimal"
        autoComplete="off"
        defaultValue={value}
        key={value}
        aria-invalid={error ? true : undefined}
        aria-describedby={error ? `${name}-error ${name}-hint` : `${name}-hint`}
      />
      <div id={`${name}-hint`} className="hint">
        {hint}
      </div>
      {error ? (
        <div id={`${name}-error`} className="field-error">
          {error}
        </div>
      ) : null}
    </div>
  );
}
