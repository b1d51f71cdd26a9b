/**
 * Staff change what an account may use: its plan, and password logins (which
 * only some plans allow). What a new plan no longer allows stops in the same
 * transaction (app/models/account-plan.server.ts); the notice says what stopped.
 */
import { z } from "zod";
import type { Plan } from "../../db/schema.js";
import type { Services } from "../context.server.js";
import { changePlan, lockPlanOf, PLAN_REASON_MAX } from "../models/account-plan.server.js";
import type { Actor } from "../models/audit.server.js";
import { setPasswordLogins } from "../models/password-logins.server.js";
import { PLAN_LABEL, PLANS, planAllows } from "../models/plans.js";

/** The console's "Change plan" form. */
export const PlanChangeForm = z.object({
  plan: z.enum(PLANS, { errorMap: () => ({ message: "Choose one of the plans." }) }),
  reason: z
    .string()
    .trim()
    .min(1, "Say why the plan changes, for the record (for example, the ticket or contract).")
    .max(PLAN_REASON_MAX, `Keep the reason to ${PLAN_REASON_MAX} characters.`),
});

/** The console's "Password logins" switch. */
export const PasswordLoginsForm = z.object({
  enabled: z.enum(["on", "off"], { errorMap: () => ({ message: "Choose whether to turn password logins on or off." }) }),
});

export type PlanServiceResult = { ok: true; notice: string } | { ok: false; status: 400 | 403 | 404 | 409; message: string };

/** Refused (with its status) for a deleted account, or members still on a GPU Cluster account. */
export async function changeAccountPlan(
  services: Pick<Services, "db">,
  input: { accountId: string; plan: Plan; reason: string },
  actor: Actor,
): Promise<PlanServiceResult> {
  const { before, outcome } = await services.db.transaction().execute(async (trx) => {
    // Locked first, so the "from" the notice names is the one changePlan changes.
    const before = await lockPlanOf(trx, input.accountId);
    return { before, outcome: before ? await changePlan(trx, input, actor) : null };
  });
  if (!before || !outcome) return { ok: false, status: 404, message: "No such account." };
  if (!outcome.ok) return outcome;
  const { plan } = input;
  if (!outcome.changed) return { ok: true, notice: `The account is already on ${PLAN_LABEL[plan]}; nothing changed.` };
  const consequences = [
    before.password_logins_enabled && !planAllows(plan, "password_logins") ? "Password logins are now off and their sessions ended." : null,
    planAllows(before.plan, "user_management") && !planAllows(plan, "user_management") ? "Any pending invitations were withdrawn." : null,
  ].filter((x): x is string => x !== null);
  return { ok: true, notice: [`Plan changed from ${PLAN_LABEL[before.plan]} to ${PLAN_LABEL[plan]}.`, ...consequences].join(" ") };
}

/** Turning them off ends every password session of the account at once (audited by setPasswordLogins). */
export async function setAccountPasswordLogins(
  services: Pick<Services, "db">,
  input: { accountId: string; enabled: boolean },
  actor: Actor,
): Promise<PlanServiceResult> {
  const result = await services.db.transaction().execute((trx) => setPasswordLogins(trx, input.accountId, input.enabled, actor));
  if (!result.ok) return result;
  if (input.enabled) {
    return {
      ok: true,
      notice: `Password logins are on. The account identifier is ${result.loginId}: the owner or an admin creates logins in Settings → Members, and people sign in at /login/password.`,
    };
  }
  const n = result.sessionsEnded;
  return { ok: true, notice: `Password logins are off. ${n} password session${n === 1 ? "" : "s"} ended.` };
}
