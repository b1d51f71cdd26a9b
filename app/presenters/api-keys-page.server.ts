/**
 * Settings → API keys: the account's active keys as the page lists them (with
 * each key's spend this month), the confirmation step a link asked for, and a
 * new account's main key when the reveal cookie still holds it and it is still
 * that account's live main key.
 */
import type { Services } from "../context.server.js";
import { isActiveMainKeyOf, KEY_NAME_MAX, listAccountKeys, MAX_ADDITIONAL_KEYS } from "../models/api-keys.server.js";
import { getMembershipRole } from "../models/memberships.server.js";
import { formatCents } from "../models/money.js";
import { coarseLastUsed } from "../models/relative-time.js";
import { monthSpendByKey } from "../models/usage.server.js";
import { can } from "../permissions.js";

export interface ListedKey {
  id: string;
  kind: "main" | "additional";
  name: string;
  display: string;
  createdAt: Date;
  createdBy: string | null;
  lastUsed: string;
  /** Usage debits this calendar month, UTC ("$0.00" when none). */
  spentThisMonth: string;
  status: string;
}

export type KeyConfirmation = { kind: "regenerate" | "delete"; key: ListedKey | null };

/** null: the person may not see this account's keys. */
export async function loadApiKeysPage(
  services: Pick<Services, "db" | "config">,
  who: { userId: string; accountId: string },
  input: {
    /** What a confirm link asked for (only honoured for those who may manage keys). */
    confirm?: { kind: "regenerate" | "delete"; keyId?: string };
    /** The plaintext from the reveal cookie, if any. */
    sealedKey: string | null;
  },
) {
  const { db } = services;
  const role = await getMembershipRole(db, who.accountId, who.userId);
  if (!role || !can(role, "view_keys")) return null;
  const canManage = can(role, "manage_keys");
  const rows = await listAccountKeys(db, who.accountId);
  const now = new Date();
  const spend = await monthSpendByKey(db, who.accountId, now);
  const keys: ListedKey[] = rows.map((k) => ({
    id: k.id,
    kind: k.kind,
    name: k.name,
    display: `${k.prefix}…${k.last4}`,
    createdAt: k.created_at,
    createdBy: k.created_by_email,
    lastUsed: coarseLastUsed(k.last_used_at, now),
    spentThisMonth: formatCents(spend.get(k.id) ?? 0),
    status: k.status,
  }));
  const welcomeKey = input.sealedKey && (await isActiveMainKeyOf(db, who.accountId, input.sealedKey)) ? input.sealedKey : null;

  let confirm: KeyConfirmation | null = null;
  if (canManage && input.confirm) {
    const { kind, keyId } = input.confirm;
    const target = kind === "regenerate" ? keys.find((k) => k.kind === "main") : keys.find((k) => k.kind === "additional" && k.id === keyId);
    confirm = { kind, key: target ?? null };
  }

  return {
    canManage,
    keys,
    additionalCount: keys.filter((k) => k.kind === "additional").length,
    // The model's limits travel as data: a .server module's exports do not exist in the browser.
    maxAdditional: MAX_ADDITIONAL_KEYS,
    keyNameMax: KEY_NAME_MAX,
    welcomeKey,
    confirm,
    /** Where /v1 answers, for the quickstart's curl line (the API is served on the app's own origin). */
    apiBase: services.config.publicUrl,
  };
}
