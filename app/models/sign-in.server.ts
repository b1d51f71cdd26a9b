/**
 * The sign-in rules, in one place (authentication.md):
 * - only a provider-verified email signs in;
 * - a new email creates a user and the account it owns, bound to that provider;
 * - the same email through the other provider is refused;
 * - a legacy LinkedIn user is re-bound to the provider of their first sign-in;
 * - a deleted account's email (a tombstone) never creates an account again;
 * - a blocked or deleted account cannot sign in;
 * - staff (the staff table) sign in with the same providers and the same lock.
 */
import { sql, type Transaction } from "kysely";
import type { Db, DbOrTrx } from "../../db/connection.js";
import type { AccountStatus, Database, Provider, SignInProvider, StaffRole } from "../../db/schema.js";
import { writeAudit, type Actor } from "./audit.server.js";
import { createMainKey } from "./api-keys.server.js";
import { providerName } from "./sign-in-method.js";
import { isEmailTombstoned, normalizeEmail } from "./email.server.js";
import { erasePerson } from "./erasure.server.js";
import { acceptInvitation, findInvitation } from "./invitations.server.js";
import type { DeliveryMode } from "../mail/mailer.server.js";
import { planAllows } from "./plans.js";

/** What a provider told us about the person, after the strategy ran. */
export interface ProviderIdentity {
  provider: SignInProvider;
  subject: string;
  email: string | null;
  emailVerified: boolean;
  name: string | null;
  avatarUrl: string | null;
}

export type RefusalReason = "unverified_email" | "other_provider" | "tombstoned" | "blocked" | "transferred" | "deleted" | "invitation_unusable";

export type SignInOutcome =
  | {
      ok: true;
      userId: string | null;
      accountId: string | null;
      staff: { id: string; role: StaffRole } | null;
      created: boolean;
      reboundFrom: Provider | null;
      /** A new account's main API key, to be shown once (never stored, never logged). */
      newMainKey: string | null;
    }
  | { ok: false; reason: RefusalReason; boundProvider?: Provider; userId?: string; accountId?: string };

export const providerLabel = (p: Provider) => providerName(p);

/** The words a person sees for each refusal (the first sentence of other_provider is exact, by spec). */
export function refusalMessage(reason: RefusalReason, provider?: Provider, boundProvider?: Provider): string[] {
  switch (reason) {
    case "unverified_email":
      return [
        `Your ${provider ? providerLabel(provider) : "provider"} account has no verified email address.`,
        "Verify your email address with the provider, then sign in again.",
      ];
    case "other_provider":
      return [
        "This email is already linked to another sign-in method.",
        boundProvider && boundProvider !== "linkedin"
          ? `Sign in with ${providerLabel(boundProvider)} instead.`
          : "Sign in with the method you used when you created the account.",
      ];
    case "tombstoned":
      return [
        "This email address belonged to an account that was deleted, and it cannot be used to create a new account.",
        "Sign up with a different email address.",
      ];
    case "blocked":
      return ["This account is blocked.", "If you think this is a mistake, contact support."];
    case "transferred":
      return ["This account was transferred to a new account and is blocked.", "Sign in with the email address of your new account."];
    case "deleted":
      return ["This account has been deleted.", "Sign up with a different email address to use Switchboard again."];
    case "invitation_unusable":
      return [
        "You signed in from an invitation that cannot be used with that address: it was sent to another one, has expired, or was withdrawn. Nothing was created.",
        "Open the invitation link again to see why, or sign in here to create your own account.",
      ];
  }
}

function statusRefusal(status: AccountStatus, transferred: boolean): RefusalReason | null {
  if (status === "active") return null;
  if (status === "blocked") return transferred ? "transferred" : "blocked";
  return "deleted";
}

interface Ctx {
  tombstoneSecret: string;
  ip: string | null;
  /** Set when the sign-in started from an invitation link: a new person then joins that account instead of getting their own. */
  invitationToken?: string | null;
  /** How the "member joined" security mail of a sign-in that accepts an invitation is sent. */
  mail?: { mode: DeliveryMode; publicUrl: string };
}

/** Applies the rules and, when they allow it, records the sign-in. Returns no PII. */
export async function resolveSignIn(db: Db, identity: ProviderIdentity, ctx: Ctx): Promise<SignInOutcome> {
  const outcome = await db.transaction().execute((trx) => decide(trx, identity, ctx));
  const actor: Actor = outcome.ok
    ? outcome.userId
      ? { type: "user", id: outcome.userId, ip: ctx.ip }
      : { type: "staff", id: outcome.staff?.id ?? null, ip: ctx.ip }
    : { type: "anonymous", id: null, ip: ctx.ip };
  await writeAudit(db, actor, {
    action: outcome.ok ? "auth.sign_in" : "auth.sign_in_refused",
    targetType: outcome.ok ? (outcome.accountId ? "account" : "staff") : outcome.accountId ? "account" : null,
    targetId: outcome.ok ? (outcome.accountId ?? outcome.staff?.id) : (outcome.accountId ?? null),
    details: outcome.ok
      ? { provider: identity.provider, created: outcome.created, staff: outcome.staff?.role ?? null }
      : { provider: identity.provider, reason: outcome.reason },
  });
  return outcome;
}

async function decide(trx: Transaction<Database>, identity: ProviderIdentity, ctx: Ctx): Promise<SignInOutcome> {
  if (!identity.emailVerified || !identity.email) return { ok: false, reason: "unverified_email" };
  const email = normalizeEmail(identity.email);
  const { provider } = identity;

  const staffRow = await trx.selectFrom("staff").select(["id", "role", "provider"]).where("email", "=", email).forUpdate().executeTakeFirst();
  if (staffRow?.provider && staffRow.provider !== provider) {
    return { ok: false, reason: "other_provider", boundProvider: staffRow.provider };
  }

  const known = await trx
    .selectFrom("identities")
    .select("user_id")
    .where("provider", "=", provider)
    .where("subject", "=", identity.subject)
    .executeTakeFirst();
  let user = await trx
    .selectFrom("users")
    .select(["id", "provider"])
    .$call((q) => (known ? q.where("id", "=", known.user_id) : q.where("email", "=", email)))
    .where("erased_at", "is", null)
    .forUpdate()
    .executeTakeFirst();
  // Someone who belongs to no account was left so by a removal made before a last
  // removal erased the person (docs/decisions/005): erased now, then signed in as anyone new.
  if (user && !(await trx.selectFrom("memberships").select("account_id").where("user_id", "=", user.id).executeTakeFirst())) {
    await erasePerson(trx, user.id, "last_membership_ended", { type: "system", id: null, ip: ctx.ip });
    user = undefined;
  }

  let created = false;
  let newMainKey: string | null = null;
  let reboundFrom: Provider | null = null;

  if (user && user.provider !== provider) {
    if (user.provider !== "linkedin") {
      // (A password login has no email, so it is never found here.)
      return { ok: false, reason: "other_provider", boundProvider: user.provider === "password" ? undefined : user.provider };
    }
    // LinkedIn sign-in was discontinued: the first Google/GitHub sign-in with the same email re-binds.
    await trx.updateTable("users").set({ provider }).where("id", "=", user.id).execute();
    reboundFrom = "linkedin";
    await writeAudit(
      trx,
      { type: "user", id: user.id, ip: ctx.ip },
      {
        action: "user.provider_rebound",
        targetType: "user",
        targetId: user.id,
        details: { from: "linkedin", to: provider },
      },
    );
    user = { ...user, provider };
  }

  let accountId: string | null = null;
  if (user) {
    const account = await trx
      .selectFrom("memberships")
      .innerJoin("accounts", "accounts.id", "memberships.account_id")
      .select(["accounts.id", "accounts.status", "accounts.transferred_to_account_id"])
      .where("memberships.user_id", "=", user.id)
      .orderBy(sql`CASE memberships.role WHEN 'owner' THEN 0 WHEN 'admin' THEN 1 ELSE 2 END`)
      .orderBy("memberships.created_at")
      .executeTakeFirst();
    if (account) {
      const refusal = statusRefusal(account.status, account.transferred_to_account_id !== null);
      if (refusal) return { ok: false, reason: refusal, userId: user.id, accountId: account.id };
      accountId = account.id;
    }
  } else if (!staffRow) {
    if (await isEmailTombstoned(trx, ctx.tombstoneSecret, email)) return { ok: false, reason: "tombstoned" };
    const invited = ctx.invitationToken ? await joinByInvitation(trx, { ...identity, email }, ctx.invitationToken, ctx) : null;
    // Someone new who came for an invitation wants that account, not one of their own: say why it failed instead.
    if (ctx.invitationToken && !invited) return { ok: false, reason: "invitation_unusable" };
    if (invited) {
      user = { id: invited.userId, provider };
      accountId = invited.accountId;
    } else {
      const fresh = await createUserWithAccount(trx, { ...identity, email });
      user = { id: fresh.userId, provider };
      accountId = fresh.accountId;
      newMainKey = fresh.mainKey;
    }
    created = true;
  }

  if (user) {
    await trx
      .insertInto("identities")
      .values({
        user_id: user.id,
        provider,
        subject: identity.subject,
        email,
        email_verified: true,
        last_sign_in_at: new Date(),
      })
      .onConflict((oc) => oc.columns(["provider", "subject"]).doUpdateSet({ email, email_verified: true, last_sign_in_at: new Date() }))
      .execute();
  }
  if (staffRow && !staffRow.provider) {
    await trx.updateTable("staff").set({ provider }).where("id", "=", staffRow.id).execute();
  }
  return {
    ok: true,
    userId: user?.id ?? null,
    accountId,
    staff: staffRow ? { id: staffRow.id, role: staffRow.role } : null,
    created,
    reboundFrom,
    newMainKey,
  };
}

/**
 * A new person signing in from an invitation sent to their (verified) address
 * joins that account and gets no account of their own. Null when the
 * invitation does not fit (then the usual sign-up applies and the invitation
 * page explains why it could not be accepted).
 */
async function joinByInvitation(trx: DbOrTrx, identity: ProviderIdentity & { email: string }, token: string, ctx: Ctx) {
  const { ip } = ctx;
  const invitation = await findInvitation(trx, token);
  if (invitation.state !== "valid" || invitation.email !== identity.email) return null;
  // The rest of acceptInvitation's checks, made before a user row exists, so its refusal cannot strand one.
  const account = await trx.selectFrom("accounts").select(["plan", "status"]).where("id", "=", invitation.accountId).executeTakeFirstOrThrow();
  if (account.status !== "active" || !planAllows(account.plan, "user_management")) return null;
  const { id: userId } = await trx
    .insertInto("users")
    .values({ email: identity.email, name: identity.name, avatar_url: identity.avatarUrl, provider: identity.provider })
    .returning("id")
    .executeTakeFirstOrThrow();
  const accepted = await acceptInvitation(trx, token, { id: userId, email: identity.email }, { type: "user", id: userId, ip }, ctx.mail);
  if (!accepted.ok) throw new Error(`invitation accept failed after its check: ${accepted.refusal}`);
  return { userId, accountId: accepted.accountId };
}

async function createUserWithAccount(
  trx: DbOrTrx,
  identity: ProviderIdentity & { email: string },
): Promise<{ userId: string; accountId: string; mainKey: string }> {
  const { id: userId } = await trx
    .insertInto("users")
    .values({ email: identity.email, name: identity.name, avatar_url: identity.avatarUrl, provider: identity.provider })
    .returning("id")
    .executeTakeFirstOrThrow();
  const { id: accountId } = await trx
    .insertInto("accounts")
    .values({ name: identity.name ? `${identity.name}'s account` : "My account" })
    .returning("id")
    .executeTakeFirstOrThrow();
  await trx.insertInto("memberships").values({ account_id: accountId, user_id: userId, role: "owner" }).execute();
  const mainKey = await createMainKey(trx, accountId, userId);
  await writeAudit(
    trx,
    { type: "user", id: userId },
    {
      action: "account.created",
      targetType: "account",
      targetId: accountId,
      details: { provider: identity.provider, plan: "build", main_key_id: mainKey.id },
    },
  );
  return { userId, accountId, mainKey: mainKey.plaintext };
}
