import type { ActionFunctionArgs, LoaderFunctionArgs, MetaFunction } from "@remix-run/node";
import { data, redirect } from "@remix-run/node";
import { Form, Link, useActionData, useLoaderData, useRevalidator } from "@remix-run/react";
import { useEffect } from "react";
import { AuthenticityTokenInput } from "remix-utils/csrf/react";
import { z } from "zod";
import { readFormWithCsrf } from "../auth/csrf.server.js";
import { NOT_FOUND, requireStaff } from "../auth/session.server.js";
import { requireRecentStaffSignIn, type StepUpAction } from "../auth/step-up.server.js";
import { useStepUp } from "../components/step-up.js";
import { ConsoleCredits, type CreditsOutcome } from "../components/console-credits.js";
import { Alert, Badge, EmptyState, When } from "../components/ui.js";
import { BLOCK_REASON_CODES, BLOCK_REASONS } from "../models/block-reasons.js";
import { countActiveAccountSessions, endAccountSessions, getAccount, getAccountMembers, listStatusChanges } from "../models/accounts.server.js";
import { postStaffCreditChange } from "../models/ledger.server.js";
import { recentAuditFor, type Actor } from "../models/audit.server.js";
import { getBalance, listLedger } from "../models/ledger.server.js";
import { formatCents, parseDollarsToCents } from "../models/money.js";
import { requestStatusChange } from "../services/account-status.server.js";
import { startDeletion } from "../services/deletion.server.js";
import { DELETION_REASON_MAX, deletionRefusalMessage, deletionsOfAccount } from "../models/deletions.server.js";
import type { Services } from "../context.server.js";
import { AuditTable } from "../components/audit-table.js";
import { WorkflowList, workflowHref } from "../components/workflow-list.js";
import { listWorkflows } from "../temporal/history.server.js";
import { changePlan, PLAN_REASON_MAX } from "../models/account-plan.server.js";
import { listPasswordLogins, setPasswordLogins } from "../models/password-logins.server.js";
import { PLAN_CAPABILITIES, PLAN_LABEL, PLANS, planAllows, type Capability } from "../models/plans.js";
import type { Plan } from "../../db/schema.js";

/** How the page names each capability of the plan table (app/models/plans.ts decides who has which). */
const CAPABILITY_LABEL: Record<Capability, string> = {
  additional_keys: "additional API keys",
  user_management: "user management (inviting members)",
  password_logins: "username/password logins",
};
const capabilities = (plan: Plan) => PLAN_CAPABILITIES[plan].map((c) => CAPABILITY_LABEL[c]);

export async function loader({ request, params, context }: LoaderFunctionArgs) {
  const p = await requireStaff(request, context);
  const { db } = context.services;
  const account = await getAccount(db, params.id ?? "");
  if (!account) throw NOT_FOUND();
  const [members, changes, audit, activeSessions, balance, ledger, deletions, workflows, logins, passwordAccess] = await Promise.all([
    getAccountMembers(db, account.id),
    listStatusChanges(db, account.id),
    recentAuditFor(db, { type: "account", id: account.id }),
    countActiveAccountSessions(db, account.id),
    getBalance(db, account.id),
    listLedger(db, account.id),
    deletionsOfAccount(db, account.id),
    listWorkflows(context.services, { account: account.id }, 1_500),
    listPasswordLogins(db, account.id),
    db.selectFrom("accounts").select(["password_logins_enabled", "login_id"]).where("id", "=", account.id).executeTakeFirstOrThrow(),
  ]);
  const canAct = p.staff.role === "support" || p.staff.role === "admin";
  // A deletion whose workflow failed leaves the account "deleting" with no live deletion: support may start it again.
  const liveDeletion = deletions.some((d) => d.status !== "failed");
  const deletable = account.status === "active" || (account.status === "deleting" && !liveDeletion);
  return {
    account,
    members,
    changes,
    deletions: deletions.map((d) => ({
      id: d.id,
      source: d.source,
      reason: d.reason,
      status: d.status,
      steps: d.steps,
      error: d.error,
      workflowId: d.workflow_id,
      createdAt: d.created_at,
      completedAt: d.completed_at,
    })),
    deletion: {
      canStart: canAct && deletable,
      restart: account.status === "deleting" && !liveDeletion,
      reasonMax: DELETION_REASON_MAX,
      started: new URL(request.url).searchParams.get("deletion") === "started",
    },
    audit,
    activeSessions,
    workflows: workflows.ok ? workflows.rows : null,
    credits: {
      balanceCents: balance?.balance_cents ?? "0",
      creditLimitCents: balance?.credit_limit_cents ?? "0",
      ledger: ledger.rows.slice(0, 10).map((r) => ({
        id: r.id,
        at: r.created_at,
        kind: r.kind,
        amountCents: r.amount_cents,
        balanceAfterCents: r.balance_after_cents,
        actorType: r.actor_type,
        note: r.note,
      })),
      // Each rendering of the form gets its own id: the ledger's idempotency key for that one submission.
      formToken: crypto.randomUUID(),
    },
    plan: {
      current: account.plan,
      label: PLAN_LABEL[account.plan],
      allows: capabilities(account.plan),
      options: PLANS.map((p) => ({ value: p, label: PLAN_LABEL[p], allows: capabilities(p) })),
      reasonMax: PLAN_REASON_MAX,
      // A deleted account keeps its plan (changePlan refuses; the form is not offered).
      changeable: account.status !== "deleting" && account.status !== "deleted",
    },
    passwordLogins: {
      // Shown where the plan allows them, or where they are still on (so they can be turned off).
      shown: planAllows(account.plan, "password_logins") || passwordAccess.password_logins_enabled,
      allowed: planAllows(account.plan, "password_logins"),
      enabled: passwordAccess.password_logins_enabled,
      loginId: passwordAccess.login_id,
      count: logins.length,
    },
    canAct,
    temporalUi: context.services.config.temporal.uiUrl ?? null,
    namespace: context.services.config.temporal.namespace,
  };
}

export const meta: MetaFunction<typeof loader> = ({ data }) => [{ title: `${data?.account.name ?? "Account"} · Console` }];

const Action = z.discriminatedUnion("intent", [
  z.object({
    intent: z.literal("block"),
    reasonCode: z.enum(BLOCK_REASON_CODES),
    reasonText: z.string().trim().min(1, "Say why, for the record.").max(1000),
  }),
  z.object({ intent: z.literal("unblock"), reasonText: z.string().trim().min(1, "Say why, for the record.").max(1000) }),
  z.object({ intent: z.literal("end_sessions") }),
]);

export interface PlanOutcome {
  fieldErrors: { plan?: string; reason?: string };
  values: { plan: string; reason: string };
}

const PlanChange = z.object({
  plan: z.enum(PLANS, { errorMap: () => ({ message: "Choose one of the plans." }) }),
  reason: z
    .string()
    .trim()
    .min(1, "Say why the plan changes, for the record (for example, the ticket or contract).")
    .max(PLAN_REASON_MAX, `Keep the reason to ${PLAN_REASON_MAX} characters.`),
});
const PasswordLoginsToggle = z.object({
  enabled: z.enum(["on", "off"], { errorMap: () => ({ message: "Choose whether to turn password logins on or off." }) }),
});

/** Moving money, deleting and changing the plan need a recent sign-in (app/auth/step-up.server.ts). */
const STEP_UP: readonly StepUpAction[] = [
  { intent: "adjust", label: "Grant or adjust credits", fields: ["amountDollars", "kind", "reason"], anchor: "adjust-h" },
  { intent: "delete", label: "Delete this account", fields: ["reason"], anchor: "delete-h" },
  { intent: "plan", label: "Change plan", fields: ["plan", "reason"], anchor: "plan-change-h" },
];

export async function action({ request, params, context }: ActionFunctionArgs) {
  const form = await readFormWithCsrf(request, context);
  const p = await requireStaff(request, context, "act_on_accounts");
  const { db } = context.services;
  const account = await getAccount(db, params.id ?? "");
  if (!account) throw NOT_FOUND();
  await requireRecentStaffSignIn(request, context, p, form, STEP_UP);
  if (form.get("intent") === "adjust") {
    return adjustCredits(db, account.id, form, { type: "staff", id: p.staff.id, ip: context.ip });
  }
  if (form.get("intent") === "delete") {
    return deleteOnRequest(context.services, account.id, form, { type: "staff", id: p.staff.id, ip: context.ip });
  }
  if (form.get("intent") === "plan") {
    return changeAccountPlan(db, account.id, form, { type: "staff", id: p.staff.id, ip: context.ip });
  }
  if (form.get("intent") === "password_logins") {
    return togglePasswordLogins(db, account.id, form, { type: "staff", id: p.staff.id, ip: context.ip });
  }
  const parsed = Action.safeParse(Object.fromEntries(form));
  if (!parsed.success) {
    return { error: parsed.error.issues[0]?.message ?? "The form was incomplete.", notice: null };
  }
  const actor = { type: "staff" as const, id: p.staff.id, ip: context.ip };
  const input = parsed.data;
  if (input.intent === "end_sessions") {
    const ended = await endAccountSessions(db, account.id, "ended_by_staff", actor);
    return { error: null, notice: `${ended} session${ended === 1 ? "" : "s"} ended.` };
  }
  if (input.intent === "block" && account.status !== "active") {
    return { error: `This account is ${account.status}; only an active account can be blocked.`, notice: null };
  }
  if (input.intent === "unblock" && account.status !== "blocked") {
    return { error: `This account is ${account.status}; only a blocked account can be unblocked.`, notice: null };
  }
  const result = await requestStatusChange(
    context.services,
    {
      accountId: account.id,
      action: input.intent,
      reasonCode: input.intent === "block" ? input.reasonCode : "unblock",
      reasonText: input.reasonText,
      staffId: p.staff.id,
    },
    actor,
  );
  if (!result.ok) return { error: result.message, notice: null };
  throw redirect(`/console/accounts/${account.id}`);
}

export interface DeletionOutcome {
  error: string | null;
  fieldErrors: { reason?: string; confirm?: string };
  reason: string;
}

/**
 * "Delete account (on the person's request)": a reason that says where the
 * person asked, and the ticked confirmation; then the same start as
 * self-service (account "deleting", keys and sessions dead, workflow started)
 * with source "support". A form error or a refusal changes nothing.
 */
async function deleteOnRequest(services: Services, accountId: string, form: FormData, actor: Actor & { type: "staff"; id: string }) {
  const reason = String(form.get("reason") ?? "").slice(0, DELETION_REASON_MAX + 100);
  const answer = (o: Partial<DeletionOutcome>, status: number) =>
    data({ error: null, notice: null, deletion: { error: null, fieldErrors: {}, reason, ...o } satisfies DeletionOutcome }, { status });
  const parsed = z
    .object({
      reason: z
        .string()
        .trim()
        .min(1, deletionRefusalMessage("reason_missing"))
        .max(DELETION_REASON_MAX, `Keep the reason to ${DELETION_REASON_MAX} characters.`),
      confirm: z.literal("yes", { errorMap: () => ({ message: "Tick “I understand this cannot be undone” to go ahead." }) }),
    })
    .safeParse({ reason, confirm: form.get("confirm") ?? undefined });
  if (!parsed.success) {
    const fieldErrors: DeletionOutcome["fieldErrors"] = {};
    for (const issue of parsed.error.issues) {
      const field = issue.path[0];
      if ((field === "reason" || field === "confirm") && !fieldErrors[field]) fieldErrors[field] = issue.message;
    }
    return answer({ error: "Nothing was changed. Fix the fields marked below.", fieldErrors }, 400);
  }
  const started = await startDeletion(services, { accountId, source: "support", userId: null, staffId: actor.id, reason: parsed.data.reason }, actor);
  if (!started.ok) return answer({ error: started.message }, started.status);
  throw redirect(`/console/accounts/${accountId}?deletion=${started.started ? "started" : "not_started"}`);
}

type Db = Services["db"];

/**
 * "Change plan": a plan and a reason (kept in the audit row). What the new
 * plan no longer allows stops at once (changePlan); its refusals (members
 * still on a GPU Cluster account, a deleted account) come back with their status.
 */
async function changeAccountPlan(db: Db, accountId: string, form: FormData, actor: Actor) {
  const values = { plan: String(form.get("plan") ?? "").slice(0, 40), reason: String(form.get("reason") ?? "").slice(0, PLAN_REASON_MAX + 100) };
  const answer = (o: { error?: string | null; notice?: string | null; fieldErrors?: PlanOutcome["fieldErrors"] }, status: number) =>
    data<{ error: string | null; notice: string | null; planForm: PlanOutcome }>(
      { error: o.error ?? null, notice: o.notice ?? null, planForm: { fieldErrors: o.fieldErrors ?? {}, values } },
      { status },
    );
  const parsed = PlanChange.safeParse(values);
  if (!parsed.success) {
    const fieldErrors: PlanOutcome["fieldErrors"] = {};
    for (const issue of parsed.error.issues) {
      const field = issue.path[0];
      if ((field === "plan" || field === "reason") && !fieldErrors[field]) fieldErrors[field] = issue.message;
    }
    return answer({ error: "The plan was not changed. Fix the fields marked below.", fieldErrors }, 400);
  }
  const { plan, reason } = parsed.data;
  const result = await db.transaction().execute(async (trx) => {
    // Locked first, so the "from" the notice names is the one changePlan changes.
    const before = await trx
      .selectFrom("accounts")
      .select(["plan", "password_logins_enabled"])
      .where("id", "=", accountId)
      .forUpdate()
      .executeTakeFirstOrThrow();
    return { before, outcome: await changePlan(trx, { accountId, plan, reason }, actor) };
  });
  const { before, outcome } = result;
  if (!outcome.ok) return answer({ error: outcome.message }, outcome.status);
  if (!outcome.changed) return answer({ notice: `The account is already on ${PLAN_LABEL[plan]}; nothing changed.` }, 200);
  const consequences = [
    before.password_logins_enabled && !planAllows(plan, "password_logins") ? "Password logins are now off and their sessions ended." : null,
    planAllows(before.plan, "user_management") && !planAllows(plan, "user_management") ? "Any pending invitations were withdrawn." : null,
  ].filter((x): x is string => x !== null);
  return answer({ notice: [`Plan changed from ${PLAN_LABEL[before.plan]} to ${PLAN_LABEL[plan]}.`, ...consequences].join(" ") }, 200);
}

/** "Password logins: turn on / turn off" (audited by setPasswordLogins). Off ends every password session of the account at once. */
async function togglePasswordLogins(db: Db, accountId: string, form: FormData, actor: Actor) {
  // Its own key in the answer: a bare { error, notice } type would absorb the other answers' types (TypeScript's subtype reduction).
  const answer = (o: { error?: string | null; notice?: string | null }, status: number) =>
    data<{ error: string | null; notice: string | null; passwordLogins: "answered" }>(
      { error: o.error ?? null, notice: o.notice ?? null, passwordLogins: "answered" },
      { status },
    );
  const parsed = PasswordLoginsToggle.safeParse({ enabled: form.get("enabled") ?? undefined });
  if (!parsed.success) return answer({ error: parsed.error.issues[0]?.message ?? "The form was incomplete." }, 400);
  const enabled = parsed.data.enabled === "on";
  const result = await db.transaction().execute((trx) => setPasswordLogins(trx, accountId, enabled, actor));
  if (!result.ok) return answer({ error: result.message }, result.status);
  if (enabled) {
    return answer(
      {
        notice: `Password logins are on. The account identifier is ${result.loginId}: the owner or an admin creates logins in Settings → Members, and people sign in at /login/password.`,
      },
      200,
    );
  }
  const n = result.sessionsEnded;
  return answer({ notice: `Password logins are off. ${n} password session${n === 1 ? "" : "s"} ended.` }, 200);
}

const Adjust = z.object({
  amountDollars: z.string().max(50),
  kind: z.enum(["grant", "adjustment"], { message: "Choose Grant or Adjustment." }),
  reason: z.string().trim().min(1, "Say why, for the record.").max(500, "Keep the reason to 500 characters."),
});
const AdjustToken = z.string().uuid();
/** A typo guard for one entry, not a business rule. */
const MAX_ADJUST_CENTS = 100_000_000n;

async function adjustCredits(db: Parameters<typeof postStaffCreditChange>[0], accountId: string, form: FormData, actor: Actor) {
  const raw = { amountDollars: String(form.get("amountDollars") ?? ""), kind: String(form.get("kind") ?? ""), reason: String(form.get("reason") ?? "") };
  const answer = (c: Partial<CreditsOutcome>, status: number) =>
    data(
      { error: null, notice: null, credits: { error: null, notice: null, fieldErrors: {}, values: null, postedId: null, ...c } satisfies CreditsOutcome },
      { status },
    );
  const token = AdjustToken.safeParse(form.get("adjustToken"));
  if (!token.success) return answer({ error: "This form is out of date. Reload the page and try again.", values: raw }, 400);
  const parsed = Adjust.safeParse(raw);
  const fieldErrors: CreditsOutcome["fieldErrors"] = {};
  for (const issue of parsed.error?.issues ?? []) {
    const field = issue.path[0];
    if ((field === "kind" || field === "reason" || field === "amountDollars") && !fieldErrors[field]) fieldErrors[field] = issue.message;
  }
  const cents = parseDollarsToCents(raw.amountDollars);
  if (cents === null) fieldErrors.amountDollars = "Enter an amount in dollars, like 10 or -5.50.";
  else if (cents === 0n) fieldErrors.amountDollars = "Enter an amount other than zero.";
  else if (cents > MAX_ADJUST_CENTS || -cents > MAX_ADJUST_CENTS) fieldErrors.amountDollars = `At most ${formatCents(MAX_ADJUST_CENTS)} per entry.`;
  else if (raw.kind === "grant" && cents < 0n) fieldErrors.amountDollars = "A grant adds credits: enter a positive amount, or choose Adjustment.";
  if (!parsed.success || cents === null || Object.keys(fieldErrors).length > 0) {
    return answer({ error: "Nothing was posted. Fix the fields marked below.", fieldErrors, values: raw }, 400);
  }
  const { kind, reason } = parsed.data;
  const posted = await postStaffCreditChange(db, { accountId, amountCents: cents, kind, formToken: token.data, reason, actor });
  switch (posted.status) {
    case "no_account":
      throw NOT_FOUND();
    case "insufficient":
      return answer({ error: "Not posted: this would take the balance below the credit limit.", values: raw }, 409);
    case "conflict":
      return answer({ error: "This form was already used for a different entry. Reload the page to post another.", values: raw }, 409);
    case "replayed":
      return answer({ notice: "This form was already posted; the entry was made once.", postedId: posted.entry.id }, 200);
    case "created":
      return answer(
        {
          notice: `Posted ${formatCents(posted.entry.amountCents)} (${kind}). The balance is now ${formatCents(posted.entry.balanceAfterCents)}.`,
          postedId: posted.entry.id,
        },
        200,
      );
  }
}

export default function AccountPage() {
  const { account, members, changes, deletions, deletion, audit, activeSessions, workflows, credits, plan, passwordLogins, canAct, temporalUi, namespace } =
    useLoaderData<typeof loader>();
  const result = useActionData<typeof action>();
  // After a fresh sign-in (step-up) a form comes back filled in as it was posted.
  const keptAdjust = useStepUp("adjust")?.values;
  const keptPlan = useStepUp("plan")?.values;
  const keptDeletion = useStepUp("delete")?.values;
  const creditsOutcome: CreditsOutcome | null =
    result && "credits" in result
      ? result.credits
      : keptAdjust
        ? {
            error: null,
            notice: null,
            fieldErrors: {},
            postedId: null,
            values: { amountDollars: keptAdjust.amountDollars ?? "", kind: keptAdjust.kind ?? "grant", reason: keptAdjust.reason ?? "" },
          }
        : null;
  const deletionOutcome: DeletionOutcome | null =
    result && "deletion" in result ? result.deletion : keptDeletion ? { error: null, fieldErrors: {}, reason: keptDeletion.reason ?? "" } : null;
  const planOutcome: PlanOutcome | null =
    result && "planForm" in result
      ? result.planForm
      : keptPlan
        ? { fieldErrors: {}, values: { plan: keptPlan.plan ?? "", reason: keptPlan.reason ?? "" } }
        : null;
  const revalidator = useRevalidator();
  const deleting = deletions.some((d) => d.status === "pending" || d.status === "running");
  const inFlight = deleting || changes.some((c) => c.status === "pending" || c.status === "running");
  useEffect(() => {
    if (!inFlight) return;
    const t = setInterval(() => revalidator.state === "idle" && revalidator.revalidate(), 1000);
    return () => clearInterval(t);
  }, [inFlight, revalidator]);

  return (
    <main className="page">
      {/* Without JavaScript the page still follows a running block to its end; with it, the revalidator does. */}
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
      {result?.error ? <Alert kind="error" lines={[result.error]} /> : null}
      {result?.notice ? <Alert kind="ok" lines={[result.notice]} /> : null}
      {deletion.started && !result ? (
        <Alert
          kind="ok"
          lines={[
            "Deletion started: the account's keys and sessions stopped working at once. The workflow erases the rest; its steps appear under Deletions below.",
          ]}
        />
      ) : null}
      <div className="grid">
        <section className="card">
          <h2>Account</h2>
          <dl className="facts">
            <dt>Id</dt>
            <dd className="mono">{account.id}</dd>
            <dt>Plan</dt>
            <dd>
              {plan.label} <span className="muted">{`(allows ${plan.allows.join(", ")})`}</span>
            </dd>
            {passwordLogins.shown ? (
              <>
                <dt>Password logins</dt>
                <dd>
                  {passwordLogins.enabled ? "on" : "off"}
                  {passwordLogins.enabled && passwordLogins.loginId ? (
                    <>
                      {" · account identifier "}
                      <code>{passwordLogins.loginId}</code>
                    </>
                  ) : null}
                  {` · ${passwordLogins.count} login${passwordLogins.count === 1 ? "" : "s"}`}
                </dd>
              </>
            ) : null}
            <dt>Status</dt>
            <dd>
              <Badge value={account.status} />
              {account.blocked_reason_code ? ` (${account.blocked_reason_code})` : null}
            </dd>
            <dt>Created</dt>
            <dd>
              <When at={account.created_at} />
            </dd>
            <dt>Active sessions</dt>
            <dd>{activeSessions}</dd>
          </dl>
        </section>
        <section className="card">
          <h2>Users</h2>
          {members.length === 0 ? (
            <EmptyState>No users.</EmptyState>
          ) : (
            <ul>
              {members.map((m) => (
                <li key={m.id}>
                  {m.provider === "password" ? (
                    <>
                      <code>{m.name}</code>
                      {` — ${m.role}, signs in with a username and password`}
                    </>
                  ) : (
                    <>
                      {m.email ?? "(erased)"} — {m.role}, signs in with {m.provider}
                    </>
                  )}
                </li>
              ))}
            </ul>
          )}
        </section>
      </div>

      <ConsoleCredits {...credits} canAdjust={canAct} outcome={creditsOutcome} />

      {canAct ? (
        <section className="card">
          <h2>Actions</h2>
          {account.status === "active" ? (
            <Form method="post" className="stack" aria-labelledby="block-h">
              <h3 id="block-h">Block account</h3>
              <AuthenticityTokenInput />
              <div className="field">
                <label htmlFor="reasonCode">Reason</label>
                <select id="reasonCode" name="reasonCode" required defaultValue="abuse">
                  {Object.entries(BLOCK_REASONS).map(([code, label]) => (
                    <option key={code} value={code}>
                      {label}
                    </option>
                  ))}
                </select>
              </div>
              <div className="field">
                <label htmlFor="reasonText">Details (kept in the database, not in the workflow)</label>
                <textarea id="reasonText" name="reasonText" required maxLength={1000} rows={2} />
              </div>
              <button type="submit" name="intent" value="block" className="btn danger" disabled={inFlight}>
                Block account
              </button>
            </Form>
          ) : null}
          {account.status === "blocked" ? (
            <Form method="post" className="stack">
              <AuthenticityTokenInput />
              <div className="field">
                <label htmlFor="unblockText">Why unblock</label>
                <textarea id="unblockText" name="reasonText" required maxLength={1000} rows={2} />
              </div>
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
      ) : null}

      {canAct ? (
        <section className="card" aria-labelledby="plan-h">
          <h2 id="plan-h">Plan</h2>
          {plan.changeable ? (
            <Form method="post" className="stack" aria-labelledby="plan-change-h">
              <h3 id="plan-change-h">Change plan</h3>
              <AuthenticityTokenInput />
              <div className="field">
                <label htmlFor="plan">New plan</label>
                <select
                  id="plan"
                  name="plan"
                  required
                  defaultValue={planOutcome?.values.plan || plan.current}
                  aria-invalid={planOutcome?.fieldErrors.plan ? true : undefined}
                >
                  {plan.options.map((o) => (
                    <option key={o.value} value={o.value}>
                      {`${o.label} — ${o.allows.join(", ")}`}
                    </option>
                  ))}
                </select>
                {planOutcome?.fieldErrors.plan ? <p className="field-error">{planOutcome.fieldErrors.plan}</p> : null}
              </div>
              <div className="field">
                <label htmlFor="plan-reason">Reason for the change</label>
                <textarea
                  id="plan-reason"
                  name="reason"
                  required
                  maxLength={plan.reasonMax}
                  rows={2}
                  defaultValue={planOutcome?.values.reason ?? ""}
                  aria-describedby="plan-reason-hint"
                  aria-invalid={planOutcome?.fieldErrors.reason ? true : undefined}
                />
                <p id="plan-reason-hint" className="hint">
                  Kept in the audit trail. What the new plan does not allow stops at once: password logins and their sessions, pending invitations.
                </p>
                {planOutcome?.fieldErrors.reason ? <p className="field-error">{planOutcome.fieldErrors.reason}</p> : null}
              </div>
              <button type="submit" name="intent" value="plan" className="btn">
                Change plan
              </button>
            </Form>
          ) : (
            <p className="muted">A deleted account's plan cannot change.</p>
          )}
          {passwordLogins.shown ? (
            <Form method="post" className="stack" aria-labelledby="password-logins-h" style={{ marginTop: "1rem" }}>
              <h3 id="password-logins-h">Password logins</h3>
              <AuthenticityTokenInput />
              <p className="muted">
                {passwordLogins.enabled
                  ? `On. People of this account sign in at /login/password with the account identifier ${passwordLogins.loginId ?? ""} and their username. Turning them off ends their sessions at once.`
                  : "Off. When on, the owner or an admin creates username/password logins in Settings → Members."}
              </p>
              {passwordLogins.enabled ? (
                <button type="submit" name="enabled" value="off" className="btn danger">
                  Turn password logins off
                </button>
              ) : passwordLogins.allowed ? (
                <button type="submit" name="enabled" value="on" className="btn primary">
                  Turn password logins on
                </button>
              ) : null}
              <input type="hidden" name="intent" value="password_logins" />
            </Form>
          ) : null}
        </section>
      ) : null}

      {canAct ? (
        <section className="card" aria-labelledby="delete-h">
          <h2 id="delete-h">Delete account (on the person's request)</h2>
          {deletionOutcome?.error ? <Alert kind="error" lines={[deletionOutcome.error]} /> : null}
          {deletion.canStart ? (
            <Form method="post" className="stack" aria-describedby="delete-what">
              <AuthenticityTokenInput />
              {deletion.restart ? (
                <Alert kind="info" lines={["The last deletion of this account failed (see Deletions below). You can start it again."]} />
              ) : null}
              <p id="delete-what" className="muted">
                Keys and sessions stop at once; the workflow then unsubscribes every mailing list, sends the confirmation, erases the personal data and keeps
                the email only as a tombstone. It cannot be undone.
              </p>
              <div className="field">
                <label htmlFor="delete-reason">Reason for the deletion</label>
                <textarea
                  id="delete-reason"
                  name="reason"
                  required
                  maxLength={deletion.reasonMax}
                  rows={2}
                  defaultValue={deletionOutcome?.reason ?? ""}
                  aria-describedby="delete-reason-hint"
                  aria-invalid={deletionOutcome?.fieldErrors.reason ? true : undefined}
                />
                <p id="delete-reason-hint" className="hint">
                  Say where the person asked (ticket or email). Do not paste personal data.
                </p>
                {deletionOutcome?.fieldErrors.reason ? <p className="field-error">{deletionOutcome.fieldErrors.reason}</p> : null}
              </div>
              <div className="field">
                <label>
                  <input type="checkbox" name="confirm" value="yes" required /> I understand this cannot be undone
                </label>
                {deletionOutcome?.fieldErrors.confirm ? <p className="field-error">{deletionOutcome.fieldErrors.confirm}</p> : null}
              </div>
              <button type="submit" name="intent" value="delete" className="btn danger">
                {deletion.restart ? "Start the deletion again" : "Delete this account"}
              </button>
            </Form>
          ) : (
            <p className="muted">
              {account.status === "deleting"
                ? "This account is being deleted; follow it under Deletions below."
                : account.status === "deleted"
                  ? "This account has been deleted."
                  : `Only an active account can be deleted; this one is ${account.status}.`}
            </p>
          )}
        </section>
      ) : null}

      <section className="card" aria-labelledby="deletions-h">
        <h2 id="deletions-h">Deletions</h2>
        {deletions.length === 0 ? (
          <EmptyState>No deletion has been requested for this account.</EmptyState>
        ) : (
          <ul className="stack" style={{ listStyle: "none", padding: 0, margin: 0 }} aria-live="polite">
            {deletions.map((d) => (
              <li key={d.id}>
                <p style={{ margin: 0 }}>
                  <Badge value={d.status} /> {d.source === "self" ? "asked for in Settings" : "started by support"} · <When at={d.createdAt} />
                  {d.completedAt ? (
                    <>
                      {" "}
                      → <When at={d.completedAt} />
                    </>
                  ) : null}
                  {d.workflowId ? (
                    <>
                      {" "}
                      · <Link to={workflowHref({ workflowId: d.workflowId })}>workflow</Link>
                    </>
                  ) : null}
                </p>
                {d.reason ? (
                  <p className="muted" style={{ margin: 0 }}>
                    “{d.reason}”
                  </p>
                ) : null}
                {d.error ? (
                  <p className="field-error" style={{ margin: 0 }}>
                    Failed: <code>{d.error}</code>
                  </p>
                ) : null}
                <ul className="chips" aria-label="Steps">
                  {d.steps.map((s) => (
                    <li key={s.step} className={s.step === "failed" ? "failed" : undefined}>
                      {`${s.step.replace(/_/g, " ")}: ${s.outcome}`}
                    </li>
                  ))}
                </ul>
              </li>
            ))}
          </ul>
        )}
      </section>

      <section className="card">
        <h2>Blocks and unblocks</h2>
        {changes.length === 0 ? (
          <EmptyState>None yet.</EmptyState>
        ) : (
          changes.map((c) => (
            <div key={c.id} className="card" aria-live="polite">
              <p>
                <strong>{c.action}</strong> <Badge value={c.status} /> · reason {c.reason_code} · by {c.requested_by_email ?? "—"} · <When at={c.created_at} />
              </p>
              {c.reason_text ? <p className="muted">“{c.reason_text}”</p> : null}
              <ol className="timeline">
                {c.steps.map((s) => (
                  <li key={s.step} className={s.step === "failed" ? "failed" : ""}>
                    {s.step.replace(/_/g, " ")}: {s.outcome} <span className="muted">({s.at.slice(11, 19)} UTC)</span>
                  </li>
                ))}
              </ol>
              {c.workflow_id ? (
                <p className="muted">
                  Workflow <code>{c.workflow_id}</code>
                  {temporalUi ? (
                    <>
                      {" "}
                      · <a href={`${temporalUi}/namespaces/${namespace}/workflows/${encodeURIComponent(c.workflow_id)}`}>open in Temporal Web UI</a>
                    </>
                  ) : null}
                </p>
              ) : null}
            </div>
          ))
        )}
      </section>

      <section className="card" aria-labelledby="workflows-h">
        <h2 id="workflows-h">Workflows</h2>
        {workflows ? (
          <WorkflowList rows={workflows} empty="No workflow has run for this account." />
        ) : (
          <p className="muted">Temporal did not answer; the workflows are in the Workflows page once it does.</p>
        )}
      </section>

      <section className="card">
        <h2>Recent audit</h2>
        <AuditTable rows={audit} empty="No audit rows for this account." />
      </section>
    </main>
  );
}
