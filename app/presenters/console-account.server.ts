/** The console's account page (/console/accounts/:id): everything it shows, read in one go. */
import type { Plan, StaffRole } from "../../db/schema.js";
import type { Services } from "../context.server.js";
import { countActiveAccountSessions, getAccount, getAccountMembers, getPasswordLoginAccess, listStatusChanges } from "../models/accounts.server.js";
import { PLAN_REASON_MAX } from "../models/account-plan.server.js";
import { LEAKED_SHOWN_DAYS, listAccountKeys } from "../models/api-keys.server.js";
import { isIdleKey } from "../models/key-idle.js";
import { withAuditPeople } from "../models/audit-search.server.js";
import { recentAuditFor } from "../models/audit.server.js";
import { DELETION_REASON_MAX, deletionsOfAccount } from "../models/deletions.server.js";
import { getBalance, listLedger } from "../models/ledger.server.js";
import { listPasswordLogins } from "../models/password-logins.server.js";
import { PLAN_CAPABILITIES, PLAN_LABEL, PLANS, planAllows, type Capability } from "../models/plans.js";
import { keyMonthSpend } from "../models/usage.server.js";
import { linkableUrl } from "../payments/payment-words.js";
import { staffCan } from "../permissions.js";
import { listWorkflows } from "../temporal/history.server.js";
import { loadConsoleAccountPayments } from "./console-account-payments.server.js";

/** How the page names each capability of the plan table (app/models/plans.ts decides who has which). */
const CAPABILITY_LABEL: Record<Capability, string> = {
  additional_keys: "additional API keys",
  user_management: "user management (inviting members)",
  password_logins: "username/password logins",
};
const capabilities = (plan: Plan) => PLAN_CAPABILITIES[plan].map((c) => CAPABILITY_LABEL[c]);

/** The overview's "recent activity": the last few audit rows; the full trail is one link away. */
const RECENT_ACTIVITY = 5;

type ListedKeyRow = Awaited<ReturnType<typeof listAccountKeys>>[number];

/**
 * One key as support reads it (issue 16): which kind (the primary main key, a
 * rolled one and when its window ends, an additional one), whether it expires
 * or has, its spend against its limit, the old format (no checksum), idle, and
 * for a key found public where and when. Read-only: keys change in Settings.
 */
function consoleKey(k: ListedKeyRow, monthSpendCents: string, now: Date) {
  const live = k.status === "active" && (k.expires_at === null || k.expires_at > now);
  const leaked = k.status === "revoked" && k.revoked_reason === "leaked";
  return {
    id: k.id,
    kind: k.kind,
    role: k.kind === "additional" ? ("additional" as const) : k.superseded_at ? ("rolled_main" as const) : ("primary_main" as const),
    name: k.name,
    display: `${k.prefix}…${k.last4}`,
    createdAt: k.created_at,
    lastUsedAt: k.last_used_at,
    expiresAt: k.expires_at,
    state: live ? ("active" as const) : leaked ? ("leaked" as const) : k.status === "active" ? ("expired" as const) : ("revoked" as const),
    monthSpendCents,
    spendLimitCents: k.spend_limit_cents,
    oldFormat: !k.checksummed,
    idle: live && isIdleKey({ lastUsedAt: k.last_used_at, createdAt: k.created_at }, now),
    // Where a scanner found it: the address as reported (text), a link only when it is http(s).
    leaked: leaked ? { url: k.leaked_url ?? "", href: linkableUrl(k.leaked_url), at: k.revoked_at } : null,
  };
}

/** The account's id as stored, or null when there is no such account (a malformed id is none): what an action checks first. */
export async function consoleAccountId(services: Pick<Services, "db">, accountId: string): Promise<string | null> {
  return (await getAccount(services.db, accountId))?.id ?? null;
}

export type ConsoleAccountPage = NonNullable<Awaited<ReturnType<typeof loadConsoleAccountPage>>>;

/** The page for one account as this staff role sees it, or null when there is no such account. */
export async function loadConsoleAccountPage(
  services: Pick<Services, "db" | "temporal" | "config">,
  input: { accountId: string; role: StaffRole; deletionParam: string | null },
) {
  const { db, config } = services;
  const account = await getAccount(db, input.accountId);
  if (!account) return null;
  const now = new Date();
  const canAct = staffCan(input.role, "act_on_accounts");
  const [members, changes, audit, activeSessions, balance, ledger, deletions, workflows, logins, passwordAccess, keys, spend, payments] = await Promise.all([
    getAccountMembers(db, account.id),
    listStatusChanges(db, account.id),
    recentAuditFor(db, { type: "account", id: account.id }, RECENT_ACTIVITY).then((rows) => withAuditPeople(db, rows)),
    countActiveAccountSessions(db, account.id),
    getBalance(db, account.id),
    listLedger(db, account.id),
    deletionsOfAccount(db, account.id),
    listWorkflows(services, { account: account.id }, 1_500),
    listPasswordLogins(db, account.id),
    getPasswordLoginAccess(db, account.id),
    listAccountKeys(db, account.id),
    keyMonthSpend(db, account.id, now),
    loadConsoleAccountPayments(services, account.id, canAct),
  ]);
  // A deletion whose workflow failed leaves the account "deleting" with no live deletion: support may start it again.
  const liveDeletion = deletions.some((d) => d.status !== "failed");
  const deletable = account.status === "active" || (account.status === "deleting" && !liveDeletion);
  const owner = members.find((m) => m.role === "owner");
  return {
    account,
    /** The tab's title: the owner's address is what support searches by (the page shows it too); the name when it is erased. */
    title: owner?.email ?? account.name,
    members,
    // Support answers "which key is this?" from the display form alone: never the secret, never its hash (listAccountKeys selects neither).
    keys: keys.map((k) => consoleKey(k, spend.get(k.id) ?? "0", now)),
    leakedShownDays: LEAKED_SHOWN_DAYS,
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
      started: input.deletionParam === "started",
      notStarted: input.deletionParam === "not_started",
    },
    audit,
    auditHref: `/console/audit?${new URLSearchParams({ target_type: "account", target_id: account.id })}`,
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
    /** The provider's customer, cards, payments, auto-recharge and its caps, and the billing flags (issue 18). */
    payments,
    canAct,
    temporalUi: config.temporal.uiUrl ?? null,
    namespace: config.temporal.namespace,
  };
}
