/**
 * Staff change an account's plan (support or admin, reason required, audited).
 * What the new plan no longer allows stops at once: password logins are
 * turned off (their sessions end) and pending invitations are withdrawn. An
 * account with members cannot leave GPU Cluster until they are removed.
 */
import { sql } from "kysely";
import type { DbOrTrx } from "../../db/connection.js";
import type { Plan } from "../../db/schema.js";
import { writeAudit, type Actor } from "./audit.server.js";
import { endPasswordSessions } from "./password-logins.server.js";
import { PLAN_LABEL, planAllows } from "./plans.js";

export const PLAN_REASON_MAX = 500;

export async function changePlan(
  trx: DbOrTrx,
  input: { accountId: string; plan: Plan; reason: string },
  actor: Actor,
): Promise<{ ok: true; changed: boolean } | { ok: false; status: 404 | 409; message: string }> {
  const account = await trx.selectFrom("accounts").select(["plan", "status"]).where("id", "=", input.accountId).forUpdate().executeTakeFirst();
  if (!account) return { ok: false, status: 404, message: "No such account." };
  if (account.status === "deleting" || account.status === "deleted") return { ok: false, status: 409, message: "A deleted account's plan cannot change." };
  if (account.plan === input.plan) return { ok: true, changed: false };

  if (!planAllows(input.plan, "user_management")) {
    const others = await trx
      .selectFrom("memberships")
      .innerJoin("users", "users.id", "memberships.user_id")
      .select((eb) => eb.fn.countAll<string>().as("n"))
      .where("memberships.account_id", "=", input.accountId)
      .where("memberships.role", "<>", "owner")
      .where("users.provider", "<>", "password")
      .executeTakeFirstOrThrow();
    if (Number(others.n) > 0) {
      return {
        ok: false,
        status: 409,
        message: `This account has ${others.n} invited member${others.n === "1" ? "" : "s"}; ${PLAN_LABEL[input.plan]} has no user management. They must be removed first (Settings → Members).`,
      };
    }
  }
  let passwordSessionsEnded = 0;
  if (!planAllows(input.plan, "password_logins")) {
    await trx.updateTable("accounts").set({ password_logins_enabled: false }).where("id", "=", input.accountId).execute();
    passwordSessionsEnded = await endPasswordSessions(trx, input.accountId, "password_logins_disabled");
  }
  const invitationsWithdrawn = planAllows(input.plan, "user_management")
    ? 0
    : Number(
        (
          await trx
            .updateTable("invitations")
            .set({ revoked_at: sql`now()` })
            .where("account_id", "=", input.accountId)
            .where("accepted_at", "is", null)
            .where("revoked_at", "is", null)
            .executeTakeFirst()
        ).numUpdatedRows,
      );
  await trx.updateTable("accounts").set({ plan: input.plan }).where("id", "=", input.accountId).execute();
  await writeAudit(trx, actor, {
    action: "account.plan_changed",
    targetType: "account",
    targetId: input.accountId,
    details: {
      from: account.plan,
      to: input.plan,
      reason: input.reason,
      password_sessions_ended: passwordSessionsEnded,
      invitations_withdrawn: invitationsWithdrawn,
    },
  });
  return { ok: true, changed: true };
}

/** The account's plan and password-login switch, locked: what a plan change is about to change from. */
export async function lockPlanOf(trx: DbOrTrx, accountId: string) {
  return trx.selectFrom("accounts").select(["plan", "password_logins_enabled"]).where("id", "=", accountId).forUpdate().executeTakeFirst();
}
