import type { ActionFunctionArgs, LoaderFunctionArgs, MetaFunction } from "@remix-run/node";
import { data } from "@remix-run/node";
import { useActionData, useLoaderData } from "@remix-run/react";
import { z } from "zod";
import { readFormWithCsrf } from "../auth/csrf.server.js";
import { requireUser } from "../auth/session.server.js";
import { LedgerHistory } from "../components/billing/ledger-history.js";
import { isTestMethod, RechargeRule, type RuleField, type RuleValues } from "../components/billing/recharge-rule.js";
import { UsageChart } from "../components/billing/usage-chart.js";
import { fieldErrorsOf, type FieldErrors } from "../components/forms.js";
import { Alert } from "../components/ui.js";
import { getMembershipRole } from "../models/memberships.server.js";
import { formatCents, parseDollarsToCents } from "../models/money.js";
import { pageTitle } from "../page-title.js";
import { can } from "../permissions.js";
import { loadBillingPage, rechargeThresholdFloor } from "../presenters/billing-page.server.js";
import { saveRechargeRuleAndCheck, type SavedRule } from "../services/recharge.server.js";

export const meta: MetaFunction = () => pageTitle("Billing", "Settings");

const Query = z.object({
  // The keyset cursor is a ledger entry id (bigserial): digits only, within int8.
  before: z
    .string()
    .regex(/^\d{1,18}$/)
    .optional(),
});

/** The largest top-up target the form accepts: a typo guard, not a business rule. */
const MAX_TARGET_CENTS = 100_000_000n;

async function membership(request: Request, context: LoaderFunctionArgs["context"]) {
  const p = await requireUser(request, context);
  const role = await getMembershipRole(context.services.db, p.accountId, p.userId);
  if (!role || !can(role, "view_billing")) throw new Response("You are not a member of this account.", { status: 403 });
  return { p, role };
}

export async function loader({ request, context }: LoaderFunctionArgs) {
  const { p, role } = await membership(request, context);
  const query = Query.safeParse(Object.fromEntries(new URL(request.url).searchParams));
  if (!query.success) throw new Response("That page link is not valid. Go back to Billing and page from there.", { status: 400 });
  const page = await loadBillingPage(context.services, p.accountId, role, query.data.before);
  if (!page) throw new Response("Not Found", { status: 404 });
  return page;
}

const RuleForm = z.object({
  intent: z.literal("save_rule"),
  enabled: z.literal("on").optional(),
  thresholdDollars: z.string().max(100),
  targetDollars: z.string().max(100),
  paymentMethod: z.string().max(100),
});

const AMOUNT_HINT = "Enter an amount in dollars, like 10 or 10.50.";

/** The amounts in cents, or an issue per field (every field is checked, so each shows its own error). */
const RuleAmounts = (floor: bigint) =>
  z.object({ thresholdDollars: z.string(), targetDollars: z.string(), paymentMethod: z.string() }).transform((v, ctx) => {
    const refuse = (field: RuleField, message: string) => ctx.addIssue({ code: z.ZodIssueCode.custom, path: [field], message });
    const threshold = parseDollarsToCents(v.thresholdDollars);
    const target = parseDollarsToCents(v.targetDollars);
    if (threshold === null) refuse("thresholdDollars", AMOUNT_HINT);
    else if (threshold < floor) refuse("thresholdDollars", `Can't be below ${formatCents(floor)}: the balance never goes lower than that.`);
    else if (threshold >= MAX_TARGET_CENTS) refuse("thresholdDollars", `Must be less than ${formatCents(MAX_TARGET_CENTS)}.`);
    if (target === null) refuse("targetDollars", AMOUNT_HINT);
    else if (target > MAX_TARGET_CENTS) refuse("targetDollars", `Can't be more than ${formatCents(MAX_TARGET_CENTS)}.`);
    else if (threshold !== null && target <= threshold) refuse("targetDollars", "Must be greater than the “When balance goes below” amount.");
    if (!isTestMethod(v.paymentMethod)) refuse("paymentMethod", "Choose one of the listed payment methods.");
    if (threshold === null || target === null) return z.NEVER;
    return { thresholdCents: threshold, targetCents: target, paymentMethod: v.paymentMethod };
  });

const RULE_FIELDS = ["thresholdDollars", "targetDollars", "paymentMethod"] as const;

export async function action({ request, context }: ActionFunctionArgs) {
  const form = await readFormWithCsrf(request, context);
  const { p, role } = await membership(request, context);
  if (!can(role, "manage_billing")) {
    throw new Response("Only the account's owners and admins can change billing settings. Ask one of them.", { status: 403 });
  }
  const parsed = RuleForm.safeParse(Object.fromEntries(form));
  if (!parsed.success) throw new Response("Unknown request: reload the page and try again.", { status: 400 });
  const input = parsed.data;
  const values: RuleValues = {
    enabled: input.enabled === "on",
    thresholdDollars: input.thresholdDollars,
    targetDollars: input.targetDollars,
    paymentMethod: input.paymentMethod,
  };

  const floor = await rechargeThresholdFloor(context.services, p.accountId);
  if (floor === null) throw new Response("Not Found", { status: 404 });
  const amounts = RuleAmounts(floor).safeParse(values);
  if (!amounts.success) {
    return data({ saved: null, fieldErrors: fieldErrorsOf(amounts.error, RULE_FIELDS).fieldErrors, values }, { status: 400 });
  }

  // Saving checks the balance at once: a rule saved below its threshold tops up now, not after the next debit.
  const { thresholdCents, targetCents } = amounts.data;
  const saved = await saveRechargeRuleAndCheck(
    context.services,
    p.accountId,
    { enabled: values.enabled, ...amounts.data },
    { type: "user", id: p.userId, ip: context.ip },
  );
  if ("refused" in saved) {
    return data({ saved: null, fieldErrors: { [saved.refused.field]: saved.refused.message } as FieldErrors<RuleField>, values }, { status: 400 });
  }
  const { resumed, recharge } = saved;
  return data({ saved: savedMessage(resumed, recharge, thresholdCents, targetCents), fieldErrors: {} as FieldErrors<RuleField>, values: null });
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

export default function BillingPage() {
  const { canManage, balanceCents, creditLimitCents, usage, ledger, olderCursor, newer, rule } = useLoaderData<typeof loader>();
  const outcome = useActionData<typeof action>();
  const floor = formatCents(-BigInt(creditLimitCents));

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

      <UsageChart {...usage} />
      <RechargeRule rule={rule} canManage={canManage} floor={floor} outcome={outcome} />
      <LedgerHistory ledger={ledger} olderCursor={olderCursor} newer={newer} />
    </>
  );
}
