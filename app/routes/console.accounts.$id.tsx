import type { ActionFunctionArgs, LoaderFunctionArgs, MetaFunction } from "@remix-run/node";
import { data, redirect } from "@remix-run/node";
import { Link, useActionData, useLoaderData } from "@remix-run/react";
import { z } from "zod";
import { readFormWithCsrf } from "../auth/csrf.server.js";
import { NOT_FOUND, requireStaff } from "../auth/session.server.js";
import { requireRecentStaffSignIn, type StepUpAction } from "../auth/step-up.server.js";
import type { Services } from "../context.server.js";
import { AccountActions } from "../components/console-account/actions.js";
import type { DeletionOutcome } from "../components/console-account/deletion-card.js";
import { DeletionHistory, StatusChangeHistory } from "../components/console-account/history.js";
import { AccountFacts, AccountKeys, AccountMembers, RecentActivity } from "../components/console-account/overview.js";
import { AccountPayments, BillingFlags, type LimitsOutcome } from "../components/console-account/payments.js";
import type { PlanOutcome } from "../components/console-account/plan-card.js";
import { ConsoleCredits, type CreditsOutcome } from "../components/console-credits.js";
import { fieldErrorsOf } from "../components/forms.js";
import { Alert, Badge } from "../components/ui.js";
import { WorkflowList } from "../components/workflow-list.js";
import { useAutoRefresh } from "../hooks/use-auto-refresh.js";
import { PLAN_REASON_MAX } from "../models/account-plan.server.js";
import type { Actor } from "../models/audit.server.js";
import { BLOCK_REASON_CODES } from "../models/block-reasons.js";
import { DELETION_REASON_MAX } from "../models/deletions.server.js";
import { consoleAccountId, loadConsoleAccountPage } from "../presenters/console-account.server.js";
import { requestStatusChangeByStaff } from "../services/account-status.server.js";
import { postStaffCredits, StaffCreditForm } from "../services/credits.server.js";
import { startDeletion, SupportDeletionForm } from "../services/deletion.server.js";
import { RechargeLimitsForm, resolveAccountBillingFlag, setAccountRechargeLimits } from "../services/billing-limits.server.js";
import { changeAccountPlan, PasswordLoginsForm, PlanChangeForm, setAccountPasswordLogins } from "../services/plan.server.js";
import { endSessionsOfAccount } from "../services/sessions.server.js";
import { pageTitle } from "../page-title.js";

export async function loader({ request, params, context }: LoaderFunctionArgs) {
  const p = await requireStaff(request, context);
  const deletionParam = new URL(request.url).searchParams.get("deletion");
  const page = await loadConsoleAccountPage(context.services, { accountId: params.id ?? "", role: p.staff.role, deletionParam });
  if (!page) throw NOT_FOUND();
  return page;
}

// The owner's address in the tab title: personal data in a staff machine's history, as the page itself shows it to staff.
export const meta: MetaFunction<typeof loader> = ({ data }) => pageTitle(data?.title ?? "Account", "Accounts", "Console");

const Action = z.discriminatedUnion("intent", [
  z.object({
    intent: z.literal("block"),
    reasonCode: z.enum(BLOCK_REASON_CODES),
    reasonText: z.string().trim().min(1, "Say why, for the record.").max(1000),
  }),
  z.object({ intent: z.literal("unblock"), reasonText: z.string().trim().min(1, "Say why, for the record.").max(1000) }),
  z.object({ intent: z.literal("end_sessions") }),
]);
/** Moving money, deleting and changing the plan need a recent sign-in (app/auth/step-up.server.ts). */
const STEP_UP: readonly StepUpAction[] = [
  { intent: "adjust", label: "Grant or adjust credits", fields: ["amountDollars", "kind", "reason"], anchor: "adjust-h" },
  { intent: "delete", label: "Delete this account", fields: ["reason"], anchor: "delete-h" },
  { intent: "plan", label: "Change plan", fields: ["plan", "reason"], anchor: "plan-change-h" },
  { intent: "limits", label: "Change caps", fields: ["perRechargeDollars", "perDayDollars"], anchor: "caps-h" },
];

type StaffActor = Actor & { type: "staff"; id: string };

export async function action({ request, params, context }: ActionFunctionArgs) {
  const form = await readFormWithCsrf(request, context);
  const p = await requireStaff(request, context, "act_on_accounts");
  const { services } = context;
  const accountId = await consoleAccountId(services, params.id ?? "");
  if (!accountId) throw NOT_FOUND();
  await requireRecentStaffSignIn(request, context, p, form, STEP_UP);
  const actor: StaffActor = { type: "staff", id: p.staff.id, ip: context.ip };
  if (form.get("intent") === "adjust") return adjustCredits(services, accountId, form, actor);
  if (form.get("intent") === "delete") return deleteOnRequest(services, accountId, form, actor);
  if (form.get("intent") === "plan") return changePlan(services, accountId, form, actor);
  if (form.get("intent") === "password_logins") return togglePasswordLogins(services, accountId, form, actor);
  if (form.get("intent") === "limits") return changeLimits(services, accountId, form, actor);
  if (form.get("intent") === "resolve_flag") return resolveFlag(services, accountId, form, actor);
  const parsed = Action.safeParse(Object.fromEntries(form));
  if (!parsed.success) {
    return { error: parsed.error.issues[0]?.message ?? "The form was incomplete.", notice: null };
  }
  const input = parsed.data;
  if (input.intent === "end_sessions") {
    const ended = await endSessionsOfAccount(services, accountId, actor);
    return { error: null, notice: `${ended} session${ended === 1 ? "" : "s"} ended.` };
  }
  const reasonCode = input.intent === "block" ? input.reasonCode : "unblock";
  const result = await requestStatusChangeByStaff(
    services,
    { accountId, action: input.intent, reasonCode, reasonText: input.reasonText, staffId: p.staff.id },
    actor,
  );
  if (!result.ok) return { error: result.message, notice: null };
  throw redirect(`/console/accounts/${accountId}`);
}

/**
 * "Delete account (on the person's request)": a reason that says where the
 * person asked, and the ticked confirmation; then the same start as
 * self-service with source "support". A form error or a refusal changes nothing.
 */
async function deleteOnRequest(services: Services, accountId: string, form: FormData, actor: StaffActor) {
  const reason = String(form.get("reason") ?? "").slice(0, DELETION_REASON_MAX + 100);
  const answer = (o: Partial<DeletionOutcome>, status: number) =>
    data({ error: null, notice: null, deletion: { error: null, fieldErrors: {}, reason, ...o } satisfies DeletionOutcome }, { status });
  const parsed = SupportDeletionForm.safeParse({ reason, confirm: form.get("confirm") ?? undefined });
  if (!parsed.success) {
    return answer(
      { error: "Nothing was changed. Fix the fields marked below.", fieldErrors: fieldErrorsOf(parsed.error, ["reason", "confirm"]).fieldErrors },
      400,
    );
  }
  const started = await startDeletion(services, { accountId, source: "support", userId: null, staffId: actor.id, reason: parsed.data.reason }, actor);
  if (!started.ok) return answer({ error: started.message }, started.status);
  throw redirect(`/console/accounts/${accountId}?deletion=${started.started ? "started" : "not_started"}`);
}

/** "Change plan": a plan and a reason (kept in the audit row); refusals come back with their status. */
async function changePlan(services: Services, accountId: string, form: FormData, actor: StaffActor) {
  const values = { plan: String(form.get("plan") ?? "").slice(0, 40), reason: String(form.get("reason") ?? "").slice(0, PLAN_REASON_MAX + 100) };
  const answer = (o: { error?: string | null; notice?: string | null; fieldErrors?: PlanOutcome["fieldErrors"] }, status: number) =>
    data<{ error: string | null; notice: string | null; planForm: PlanOutcome }>(
      { error: o.error ?? null, notice: o.notice ?? null, planForm: { fieldErrors: o.fieldErrors ?? {}, values } },
      { status },
    );
  const parsed = PlanChangeForm.safeParse(values);
  if (!parsed.success) {
    return answer(
      { error: "The plan was not changed. Fix the fields marked below.", fieldErrors: fieldErrorsOf(parsed.error, ["plan", "reason"]).fieldErrors },
      400,
    );
  }
  const result = await changeAccountPlan(services, { accountId, ...parsed.data }, actor);
  return result.ok ? answer({ notice: result.notice }, 200) : answer({ error: result.message }, result.status);
}

/** "Password logins: turn on / turn off". */
async function togglePasswordLogins(services: Services, accountId: string, form: FormData, actor: StaffActor) {
  // Its own key in the answer: a bare { error, notice } type would absorb the other answers' types (TypeScript's subtype reduction).
  const answer = (o: { error?: string | null; notice?: string | null }, status: number) =>
    data<{ error: string | null; notice: string | null; passwordLogins: "answered" }>(
      { error: o.error ?? null, notice: o.notice ?? null, passwordLogins: "answered" },
      { status },
    );
  const parsed = PasswordLoginsForm.safeParse({ enabled: form.get("enabled") ?? undefined });
  if (!parsed.success) return answer({ error: parsed.error.issues[0]?.message ?? "The form was incomplete." }, 400);
  const result = await setAccountPasswordLogins(services, { accountId, enabled: parsed.data.enabled === "on" }, actor);
  return result.ok ? answer({ notice: result.notice }, 200) : answer({ error: result.message }, result.status);
}

/** "Change caps" (auto-recharge, per recharge and per day): what was typed comes back with its field errors. */
async function changeLimits(services: Services, accountId: string, form: FormData, actor: StaffActor) {
  // Echoed into the inputs: short, and without control characters (a NUL is no attribute value).
  const typed = (name: string) =>
    String(form.get(name) ?? "")
      .slice(0, 40)
      .replace(/[\u0000-\u001f\u007f]/g, "");
  const values = { perRechargeDollars: typed("perRechargeDollars"), perDayDollars: typed("perDayDollars") };
  const parsed = RechargeLimitsForm.safeParse({
    perRechargeDollars: String(form.get("perRechargeDollars") ?? ""),
    perDayDollars: String(form.get("perDayDollars") ?? ""),
  });
  if (!parsed.success) {
    const { fieldErrors } = fieldErrorsOf(parsed.error, ["perRechargeDollars", "perDayDollars"]);
    return data<{ error: string | null; notice: string | null; limitsForm: LimitsOutcome }>(
      { error: "The caps were not changed. Fix the fields marked below.", notice: null, limitsForm: { fieldErrors, values } },
      { status: 400 },
    );
  }
  const result = await setAccountRechargeLimits(services, accountId, parsed.data, actor);
  return data({ error: null, notice: result.notice, limitsForm: null }, { status: 200 });
}

/** "Mark resolved" on a billing flag: 409 when it is no longer open (resolved meanwhile, or not this account's). */
async function resolveFlag(services: Services, accountId: string, form: FormData, actor: StaffActor) {
  const flagId = z.string().uuid().safeParse(form.get("flagId"));
  if (!flagId.success) return data({ error: "The form was incomplete.", notice: null, flag: "answered" }, { status: 400 });
  const resolved = await resolveAccountBillingFlag(services, accountId, flagId.data, actor);
  return resolved
    ? data({ error: null, notice: "The billing flag is marked resolved.", flag: "answered" }, { status: 200 })
    : data({ error: "This flag is no longer open; nothing changed.", notice: null, flag: "answered" }, { status: 409 });
}

/** "Grant or adjust credits": the form's own token makes it post once. */
async function adjustCredits(services: Services, accountId: string, form: FormData, actor: StaffActor) {
  const raw = { amountDollars: String(form.get("amountDollars") ?? ""), kind: String(form.get("kind") ?? ""), reason: String(form.get("reason") ?? "") };
  const answer = (c: Partial<CreditsOutcome>, status: number) =>
    data(
      { error: null, notice: null, credits: { error: null, notice: null, fieldErrors: {}, values: null, postedId: null, ...c } satisfies CreditsOutcome },
      { status },
    );
  const token = z.string().uuid().safeParse(form.get("adjustToken"));
  if (!token.success) return answer({ error: "This form is out of date. Reload the page and try again.", values: raw }, 400);
  const parsed = StaffCreditForm.safeParse(raw);
  if (!parsed.success) {
    const { fieldErrors } = fieldErrorsOf(parsed.error, ["amountDollars", "kind", "reason"]);
    return answer({ error: "Nothing was posted. Fix the fields marked below.", fieldErrors, values: raw }, 400);
  }
  const { amountDollars: amountCents, kind, reason } = parsed.data;
  const posted = await postStaffCredits(services, { accountId, amountCents, kind, reason, formToken: token.data }, actor);
  if (posted.ok) return answer({ notice: posted.notice, postedId: posted.entryId }, 200);
  if (posted.status === 404) throw NOT_FOUND();
  return answer({ error: posted.message, values: raw }, posted.status);
}

export default function AccountPage() {
  const page = useLoaderData<typeof loader>();
  const { account, changes, deletions, deletion, canAct } = page;
  const result = useActionData<typeof action>();
  const deleting = deletions.some((d) => d.status === "pending" || d.status === "running");
  const inFlight = deleting || changes.some((c) => c.status === "pending" || c.status === "running");
  // A running block, unblock or deletion is followed to its end.
  useAutoRefresh(1000, inFlight);
  const credits = result && "credits" in result ? result.credits : null;
  const notice = result?.notice ?? credits?.notice;

  return (
    <main className="page">
      {/* Without JavaScript the page still follows a running block to its end. */}
      {inFlight ? (
        <noscript>
          <meta httpEquiv="refresh" content="2" />
        </noscript>
      ) : null}
      <p>
        <Link to="/console/accounts">← Accounts</Link>
      </p>
      <h1>
        {account.name} <Badge value={account.status} />
      </h1>
      {page.title !== account.name ? <p className="muted">{page.title}</p> : null}
      {result?.error ? <Alert kind="error" lines={[result.error]} /> : null}
      {notice ? <Alert kind="ok" lines={[notice]} /> : null}
      {deletion.started && !result ? (
        <Alert
          kind="ok"
          lines={[
            "Deletion started: the account's keys and sessions stopped working at once. The workflow erases the rest; its steps appear under Deletions below.",
          ]}
        />
      ) : null}
      {deletion.notStarted && !result ? (
        <Alert kind="error" lines={["The deletion is recorded, but its workflow did not start; start it again below."]} />
      ) : null}
      <BillingFlags flags={page.payments.flags} canAct={canAct} who={page.title} />

      <AccountFacts {...page} />
      <AccountKeys keys={page.keys} leakedShownDays={page.leakedShownDays} />
      <AccountMembers members={page.members} />
      <RecentActivity audit={page.audit} auditHref={page.auditHref} />

      {canAct ? (
        <AccountActions
          page={page}
          inFlight={inFlight}
          outcomes={{
            credits,
            plan: result && "planForm" in result ? result.planForm : null,
            deletion: result && "deletion" in result ? result.deletion : null,
          }}
        />
      ) : null}

      <StatusChangeHistory {...page} />
      <DeletionHistory deletions={deletions} />
      <ConsoleCredits ledger={page.credits.ledger} />
      <AccountPayments payments={page.payments} who={page.title} limitsOutcome={result && "limitsForm" in result ? result.limitsForm : null} />

      <section className="card" aria-labelledby="workflows-h">
        <h2 id="workflows-h">Workflows</h2>
        {page.workflows ? (
          <WorkflowList rows={page.workflows} empty="No workflow has run for this account." />
        ) : (
          <p className="muted">Temporal did not answer; the workflows are in the Workflows page once it does.</p>
        )}
      </section>
    </main>
  );
}
