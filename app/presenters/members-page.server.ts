/**
 * Settings → Members: what the page shows for the account's plan (members and
 * invitations, password logins, or sharing by keys), and the confirmation step
 * a link asked for, with the keys that removal or leaving would revoke. The
 * same keys travel with each removable person and with "leave", for the
 * confirmation dialogs the page opens with JavaScript (no link, no reload).
 */
import type { Services } from "../context.server.js";
import { keysCreatedBy } from "../models/api-keys.server.js";
import { getHomeSummary } from "../models/home.server.js";
import { pendingInvitations } from "../models/invitations.server.js";
import { accountsOfUser, listMembers, memberLabel } from "../models/memberships.server.js";
import { listPasswordLogins, passwordLoginSettings } from "../models/password-logins.server.js";
import { PLAN_LABEL, planAllows, plansWith } from "../models/plans.js";
import { can } from "../permissions.js";

export type MembersSection = "members" | "password_logins" | "keys";
export type ConfirmKind = "remove" | "handover" | "remove_login" | "leave";
/** `rolled`: a main key in its roll's grace window, which simply stops (the primary one is replaced). */
export type ConfirmKey = { id: string; kind: string; name: string; display: string; rolled: boolean };
export type ConfirmData = {
  kind: ConfirmKind;
  target: { id: string; label: string; keys: ConfirmKey[] } | null;
  /** Leaving: this is the person's only account, so leaving erases them. */
  lastAccount: boolean;
};

/** What removal revokes, as the keys page shows them. */
async function keyList(db: Services["db"], accountId: string, userId: string): Promise<ConfirmKey[]> {
  return (await keysCreatedBy(db, accountId, userId)).map((k) => ({
    id: k.id,
    kind: k.kind,
    name: k.name,
    display: `${k.prefix}…${k.last4}`,
    rolled: k.superseded_at !== null,
  }));
}

/** null: the person is not a member of the account. */
export async function loadMembersPage(
  services: Pick<Services, "db">,
  who: { userId: string; accountId: string },
  input: {
    /** A confirmation step a link asked for; a stale one is just the page. */
    confirm?: { kind: ConfirmKind; userId?: string };
    joined: boolean;
    left: boolean;
  },
) {
  const { db } = services;
  const home = await getHomeSummary(db, who.userId, who.accountId);
  if (!home) return null;
  const { plan } = home.account;
  const role = home.role;
  const canManage = can(role, "manage_members");
  const section: MembersSection = planAllows(plan, "user_management") ? "members" : planAllows(plan, "password_logins") ? "password_logins" : "keys";

  const rows = section === "keys" ? [] : await listMembers(db, who.accountId);
  // Who this person may remove: the keys each removal would revoke, said in its dialog.
  const removable = (m: (typeof rows)[number]) => canManage && m.role !== "owner" && m.id !== who.userId;
  const members = await Promise.all(
    rows.map(async (m) => ({
      id: m.id,
      name: m.name,
      email: m.email,
      username: m.username,
      passwordLogin: m.provider === "password",
      role: m.role,
      joinedAt: m.created_at,
      label: memberLabel(m),
      keys: removable(m) ? await keyList(db, who.accountId, m.id) : [],
    })),
  );
  const invitations =
    section === "members" && canManage
      ? (await pendingInvitations(db, who.accountId)).map((i) => ({
          id: i.id,
          email: i.email ?? "",
          role: i.role,
          sentAt: i.last_sent_at,
          sentCount: i.sent_count,
          expiresAt: i.expires_at,
          expired: i.expired,
        }))
      : [];

  let passwordLogins: {
    enabled: boolean;
    loginId: string | null;
    logins: { userId: string; username: string; mustChange: boolean; createdAt: Date; passwordChangedAt: Date | null; keys: ConfirmKey[] }[];
  } | null = null;
  if (section === "password_logins") {
    const settings = await passwordLoginSettings(db, who.accountId);
    const logins = await listPasswordLogins(db, who.accountId);
    passwordLogins = {
      enabled: settings.enabled,
      loginId: settings.loginId,
      logins: logins.map((l) => ({
        userId: l.user_id,
        username: l.username,
        mustChange: l.must_change,
        createdAt: l.created_at,
        passwordChangedAt: l.password_changed_at,
        // A login is a member of the account: its keys were read with the members.
        keys: members.find((m) => m.id === l.user_id)?.keys ?? [],
      })),
    };
  }

  // Leaving, for everyone but the owner: the step a link opens, and the dialog the page opens itself.
  const self = members.find((m) => m.id === who.userId);
  const leave: ConfirmData | null =
    section !== "keys" && role !== "owner"
      ? {
          kind: "leave",
          target: self && self.role !== "owner" ? { id: self.id, label: self.label, keys: await keyList(db, who.accountId, self.id) } : null,
          lastAccount: !(await accountsOfUser(db, who.userId)).some((a) => a.id !== who.accountId),
        }
      : null;

  let confirm: ConfirmData | null = null;
  if (input.confirm?.kind === "leave") {
    confirm = leave ?? { kind: "leave", target: null, lastAccount: false };
  } else if (canManage && input.confirm) {
    const { kind, userId } = input.confirm;
    const candidates =
      kind === "handover"
        ? role === "owner"
          ? members.filter((m) => m.role === "admin" && !m.passwordLogin)
          : []
        : kind === "remove"
          ? section === "members"
            ? members.filter((m) => m.role !== "owner" && m.id !== who.userId)
            : []
          : members.filter((m) => m.passwordLogin);
    const target = candidates.find((m) => m.id === userId);
    if (kind !== "handover" || role === "owner") {
      confirm = {
        kind,
        target: target ? { id: target.id, label: target.label, keys: kind === "handover" ? [] : target.keys } : null,
        lastAccount: false,
      };
    }
  }

  const joined = input.joined
    ? `You joined ${home.account.name} as ${role === "admin" ? "an admin" : role === "member" ? "a member" : "its owner"}. Settings now act on this account.`
    : null;
  const left = input.left ? `You left the account. Settings now act on ${home.account.name}.` : null;

  return {
    accountName: home.account.name,
    planLabel: PLAN_LABEL[plan],
    userManagementPlans: plansWith("user_management"),
    passwordLoginPlans: plansWith("password_logins"),
    section,
    role,
    canManage,
    me: who.userId,
    members,
    invitations,
    passwordLogins,
    confirm,
    leave,
    joined,
    left,
  };
}

export type MembersPage = NonNullable<Awaited<ReturnType<typeof loadMembersPage>>>;
export type Member = MembersPage["members"][number];
