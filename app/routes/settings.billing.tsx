import type { ActionFunctionArgs, LoaderFunctionArgs, MetaFunction } from "@remix-run/node";
import { data, redirect } from "@remix-run/node";
import { useActionData, useLoaderData } from "@remix-run/react";
import { z } from "zod";
import { readFormWithCsrf } from "../auth/csrf.server.js";
import { requireUser } from "../auth/session.server.js";
import { AddCredits, CUSTOM_AMOUNT, type CreditsField, type CreditsOutcome, type CreditsValues } from "../components/billing/add-credits.js";
import { LedgerHistory } from "../components/billing/ledger-history.js";
import { Receipts } from "../components/billing/receipts.js";
import { isTestMethod, PausedRuleAlert, RechargeRule, type RuleField, type RuleOutcome, type RuleValues } from "../components/billing/recharge-rule.js";
import { SavedCard, type CardOutcome } from "../components/billing/saved-card.js";
import { UsageChart } from "../components/billing/usage-chart.js";
import { fieldErrorsOf, type FieldErrors } from "../components/forms.js";
import { Alert } from "../components/ui.js";
import { getMembershipRole } from "../models/memberships.server.js";
import { formatCents, parseDollarsToCents } from "../models/money.js";
import { pageTitle } from "../page-title.js";
import { SAVED_CARD } from "../payments/payment-provider.js";
import { can } from "../permissions.js";
import { loadBillingSettings, rechargeThresholdFloor } from "../presenters/billing-page.server.js";
import { removeSavedCard, startCheckout } from "../services/billing.server.js";
import { saveRechargeRuleAndCheck, type SavedRule } from "../services/recharge.server.js";

export const meta: MetaFunction = () => pageTitle("Billing", "Settings");

const Query = z.object({
  // The keyset cursor is a ledger entry id (bigserial): digits only, within int8.
  before: z
    .string()
    .regex(/^\d{1,18}$/)
    .optional(),
  /** Checkout's cancel URL comes back with ?checkout=cancelled. */
  checkout: z.string().optional(),
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
  const page = await loadBillingSettings(context.services, p.accountId, role, query.data.before);
  if (!page) throw new Response("Not Found", { status: 404 });
  return { ...page, checkoutCancelled: query.data.checkout === "cancelled" };
}

const UNKNOWN = "Unknown request: reload the page and try again.";

/**
 * Every form of the page. The amount fields of Add credits are plain strings
 * here (of any length): what is wrong with them is a field error, not an
 * unknown request.
 */
const Intent = z.discriminatedUnion("intent", [
  z.object({
    intent: z.literal("save_rule"),
    enabled: z.literal("on").optional(),
    thresholdDollars: z.string().max(100),
    targetDollars: z.string().max(100),
    paymentMethod: z.string().max(100),
  }),
  z.object({ intent: z.literal("add_credits"), attempt: z.string().uuid(), amount: z.string().optional(), customDollars: z.string().optional() }),
  z.object({ intent: z.literal("save_card"), attempt: z.string().uuid() }),
  z.object({ intent: z.literal("remove_card") }),
]);

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
    // Which of these this installation accepts (test cards only under the test provider) is the service's to say.
    if (v.paymentMethod !== SAVED_CARD && !isTestMethod(v.paymentMethod)) refuse("paymentMethod", "Choose one of the listed payment methods.");
    if (threshold === null || target === null) return z.NEVER;
    return { thresholdCents: threshold, targetCents: target, paymentMethod: v.paymentMethod };
  });

const RULE_FIELDS = ["thresholdDollars", "targetDollars", "paymentMethod"] as const;

/** Longer than any amount anyone types: not parsed, not shown back. */
const MAX_AMOUNT_INPUT = 50;

/**
 * The purchase amount in cents: a preset, or "Other amount" with what was typed
 * (within the configured minimum and maximum). A preset picked with an amount
 * typed as well is refused rather than guessed at.
 */
function purchaseAmount(
  input: { amount?: string; customDollars?: string },
  purchase: { minCents: number; maxCents: number; presetsCents: number[] },
): { cents: bigint } | { fieldErrors: FieldErrors<CreditsField> } {
  const range = `from ${formatCents(purchase.minCents)} to ${formatCents(purchase.maxCents)}`;
  const typed = (input.customDollars ?? "").trim();
  const choice = input.amount ?? (typed ? CUSTOM_AMOUNT : "");
  if (choice === CUSTOM_AMOUNT) {
    if (typed === "") return { fieldErrors: { customDollars: `Enter an amount ${range}.` } };
    const cents = typed.length > MAX_AMOUNT_INPUT ? null : parseDollarsToCents(typed);
    if (cents === null) return { fieldErrors: { customDollars: `Enter an amount ${range}, in dollars, like 25 or 25.50.` } };
    if (cents < BigInt(purchase.minCents) || cents > BigInt(purchase.maxCents)) return { fieldErrors: { customDollars: `Enter an amount ${range}.` } };
    return { cents };
  }
  if (choice === "") return { fieldErrors: { amount: "Choose an amount." } };
  const preset = purchase.presetsCents.find((c) => String(c) === choice);
  if (preset === undefined) return { fieldErrors: { amount: "Choose one of the amounts listed." } };
  if (typed !== "") {
    return {
      fieldErrors: {
        customDollars: `You picked ${formatCents(preset)} and also typed an amount here. Pick “Other amount” to pay what you typed, or clear this field.`,
      },
    };
  }
  return { cents: BigInt(preset) };
}

/** What was typed, to show again (never a huge or hostile value). */
const shownBack = (input: { amount?: string; customDollars?: string }): CreditsValues => ({
  amount: (input.amount ?? "").slice(0, MAX_AMOUNT_INPUT),
  customDollars: (input.customDollars ?? "").length > MAX_AMOUNT_INPUT ? "" : (input.customDollars ?? ""),
});

const PROVIDER_UNAVAILABLE = "The payment page could not be opened just now. Try again in a minute.";
const NOT_YOURS = "This form was opened for another account. Reload the page and try again.";

const creditsAnswer = (o: Omit<CreditsOutcome, "form">, status: number) => data({ form: "credits" as const, ...o } satisfies CreditsOutcome, { status });
const cardAnswer = (o: Omit<CardOutcome, "form">, status = 200) => data({ form: "card" as const, ...o } satisfies CardOutcome, { status });
const ruleAnswer = (o: Omit<RuleOutcome, "form">, status = 200) => data({ form: "rule" as const, ...o } satisfies RuleOutcome, { status });

export async function action({ request, context }: ActionFunctionArgs) {
  const form = await readFormWithCsrf(request, context);
  const { p, role } = await membership(request, context);
  if (!can(role, "manage_billing")) {
    throw new Response("Only the account's owners and admins can change billing settings. Ask one of them.", { status: 403 });
  }
  const parsed = Intent.safeParse(Object.fromEntries(form));
  if (!parsed.success) throw new Response(UNKNOWN, { status: 400 });
  const input = parsed.data;
  const actor = { type: "user" as const, id: p.userId, ip: context.ip };

  switch (input.intent) {
    case "add_credits": {
      const amount = purchaseAmount(input, context.services.config.payments.purchase);
      if ("fieldErrors" in amount) return creditsAnswer({ fieldErrors: amount.fieldErrors, formError: null, values: shownBack(input) }, 400);
      const started = await startCheckout(
        context.services,
        { accountId: p.accountId, mode: "payment", amountCents: amount.cents, attemptKey: input.attempt },
        actor,
      );
      if (started.ok) throw redirect(started.url);
      if (started.reason === "already_complete") throw redirect(`/settings/billing/checkout/${started.checkoutId}`);
      const formError = started.reason === "not_yours" ? NOT_YOURS : PROVIDER_UNAVAILABLE;
      return creditsAnswer({ fieldErrors: {}, formError, values: shownBack(input) }, started.reason === "not_yours" ? 409 : 503);
    }
    case "save_card": {
      const started = await startCheckout(context.services, { accountId: p.accountId, mode: "setup", amountCents: null, attemptKey: input.attempt }, actor);
      if (started.ok) throw redirect(started.url);
      if (started.reason === "already_complete") throw redirect(`/settings/billing/checkout/${started.checkoutId}`);
      return cardAnswer(
        { message: null, formError: started.reason === "not_yours" ? NOT_YOURS : PROVIDER_UNAVAILABLE },
        started.reason === "not_yours" ? 409 : 503,
      );
    }
    case "remove_card": {
      const removed = await removeSavedCard(context.services, p.accountId, actor);
      return cardAnswer(removed ? { message: "Card removed.", formError: null } : { message: null, formError: "There is no saved card to remove." });
    }
    case "save_rule":
      return saveRule(input, p.accountId, actor, context);
  }
}

async function saveRule(
  input: Extract<z.infer<typeof Intent>, { intent: "save_rule" }>,
  accountId: string,
  actor: { type: "user"; id: string; ip: string | null | undefined },
  context: ActionFunctionArgs["context"],
) {
  const values: RuleValues = {
    enabled: input.enabled === "on",
    thresholdDollars: input.thresholdDollars,
    targetDollars: input.targetDollars,
    paymentMethod: input.paymentMethod,
  };
  const floor = await rechargeThresholdFloor(context.services, accountId);
  if (floor === null) throw new Response("Not Found", { status: 404 });
  const amounts = RuleAmounts(floor).safeParse(values);
  if (!amounts.success) return ruleAnswer({ saved: null, fieldErrors: fieldErrorsOf(amounts.error, RULE_FIELDS).fieldErrors, values }, 400);

  // Saving checks the balance at once: a rule saved below its threshold tops up now, not after the next debit.
  const { thresholdCents, targetCents } = amounts.data;
  const saved = await saveRechargeRuleAndCheck(context.services, accountId, { enabled: values.enabled, ...amounts.data }, actor);
  if ("refused" in saved) {
    return ruleAnswer({ saved: null, fieldErrors: { [saved.refused.field]: saved.refused.message } as FieldErrors<RuleField>, values }, 400);
  }
  const { resumed, recharge } = saved;
  return ruleAnswer({ saved: savedMessage(resumed, recharge, thresholdCents, targetCents), fieldErrors: {}, values: null });
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
  const page = useLoaderData<typeof loader>();
  const { canManage, balanceCents, creditLimitCents, usage, ledger, olderCursor, newer, rule, testMode, card } = page;
  const outcome = useActionData<typeof action>();
  const floor = formatCents(-BigInt(creditLimitCents));
  const ruleUsesCard = !!rule?.enabled && rule.paymentMethod === SAVED_CARD;

  return (
    <>
      <h1>Billing</h1>
      {testMode ? <Alert kind="info" lines={["Test payments: no real money moves. Checkout is a local test page."]} /> : null}
      {page.checkoutCancelled ? <Alert kind="info" lines={["Checkout cancelled; nothing was charged."]} /> : null}
      {rule ? <PausedRuleAlert rule={rule} canManage={canManage} /> : null}

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

      <AddCredits
        purchase={page.purchase}
        attempt={page.attempts.credits}
        canManage={canManage}
        testMode={testMode}
        outcome={outcome?.form === "credits" ? outcome : undefined}
      />
      <UsageChart {...usage} />
      <SavedCard
        card={card}
        attempt={page.attempts.card}
        canManage={canManage}
        testMode={testMode}
        ruleUsesCard={ruleUsesCard}
        outcome={outcome?.form === "card" ? outcome : undefined}
        pausedForNoCard={rule?.pausedReason === "no_saved_card"}
      />
      <RechargeRule
        rule={rule}
        canManage={canManage}
        floor={floor}
        outcome={outcome?.form === "rule" ? outcome : undefined}
        card={card}
        testMode={testMode}
        limits={page.limits}
      />
      <Receipts payments={page.payments} capped={page.paymentsCapped} />
      <LedgerHistory ledger={ledger} olderCursor={olderCursor} newer={newer} />
    </>
  );
}
