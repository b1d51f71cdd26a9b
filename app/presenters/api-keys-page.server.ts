/**
 * Settings → API keys: the account's keys as the page lists them (live keys,
 * expired ones until deleted, keys revoked as leaked for 30 days), each with
 * its spend this month against its limit, the words for its state (expiry,
 * idle, old format, where it was found public) and the actions it offers;
 * the confirmation step a link asked for; a new account's main key when the
 * reveal cookie still holds it; and the answer to "Check a key".
 */
import type { Services } from "../context.server.js";
import { hasValidChecksum, isWellFormedApiKey, KEY_LENGTH, KEY_PREFIX } from "../models/api-key-format.server.js";
import { accountKeyByPlaintext, isActiveMainKeyOf, KEY_NAME_MAX, listAccountKeys, MAX_ADDITIONAL_KEYS } from "../models/api-keys.server.js";
import { getMembershipRole } from "../models/memberships.server.js";
import { centsToDollarsInput, formatCents } from "../models/money.js";
import { isIdleKey, KEY_IDLE_DAYS } from "../models/key-idle.js";
import { coarseFromNow, coarseLastUsed, utcMinute } from "../models/relative-time.js";
import { keyMonthSpend } from "../models/usage.server.js";
import { linkableUrl } from "../payments/payment-words.js";
import { can } from "../permissions.js";
import { DEFAULT_ROLL_WINDOW, expiryDateBounds, ROLL_WINDOW_LABELS } from "../validation/key-options.js";

/** What a row offers those who may manage keys; each is a confirmed form (a dialog with JavaScript, a `?confirm=` step without). */
export type KeyAction = "regenerate" | "roll" | "limit" | "delete" | "stop";

export interface ListedKey {
  id: string;
  kind: "main" | "additional";
  /** primary: the account's one main key; rolled: the previous main key in its grace window. */
  role: "primary" | "rolled" | "additional";
  state: "active" | "expired" | "leaked";
  name: string;
  display: string;
  /** ISO instants (the page gets them as JSON either way). */
  createdAt: string;
  createdBy: string | null;
  lastUsed: string;
  /** Usage debited with this key this calendar month, UTC ("$0.00" when none): what its limit is checked against. */
  spentThisMonth: string;
  /** "$100.00", or null: no limit. */
  spendLimit: string | null;
  /** The limit as its form field shows it ("100.00"), "" for none. */
  spendLimitInput: string;
  /** "expires in 3 days", "expired on 2026-12-01"; null: never expires (or revoked). */
  expiry: string | null;
  expiresAt: string | null;
  /** Where a secret scanner found it public (as reported), and the same as a link when it is an http(s) address. */
  leakedUrl: string | null;
  leakedLink: string | null;
  revokedAt: string | null;
  idle: boolean;
  /** Issued before checksummed keys. */
  legacy: boolean;
  actions: KeyAction[];
}

export type KeyConfirmation = { kind: KeyAction; key: ListedKey | null };

const iso = (d: Date | null) => (d ? d.toISOString() : null);

/** null: the person may not see this account's keys. */
export async function loadApiKeysPage(
  services: Pick<Services, "db" | "config">,
  who: { userId: string; accountId: string },
  input: {
    /** What a confirm link asked for (only honoured for those who may manage keys). */
    confirm?: { kind: KeyAction; keyId?: string };
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
  const spend = await keyMonthSpend(db, who.accountId, now);
  const hasPrimary = rows.some((k) => k.kind === "main" && k.status === "active" && k.superseded_at === null);

  const keys: ListedKey[] = rows.map((k) => {
    const leaked = k.status === "revoked";
    const expired = !leaked && k.expires_at !== null && k.expires_at.getTime() <= now.getTime();
    const state = leaked ? "leaked" : expired ? "expired" : "active";
    const rowRole = k.kind === "additional" ? "additional" : k.superseded_at ? "rolled" : "primary";
    const actions: KeyAction[] = !canManage
      ? []
      : state === "leaked"
        ? // The main key found public leaves the account without one: the page offers a new one where the old one was.
          rowRole === "primary" && !hasPrimary
          ? ["regenerate"]
          : []
        : rowRole === "primary"
          ? ["regenerate", "roll", "limit"]
          : rowRole === "rolled"
            ? ["stop"]
            : state === "expired"
              ? ["delete"]
              : ["limit", "delete"];
    return {
      id: k.id,
      kind: k.kind,
      role: rowRole,
      state,
      name: rowRole === "rolled" ? "Main key (rolled)" : k.name,
      display: `${k.prefix}…${k.last4}`,
      createdAt: k.created_at.toISOString(),
      createdBy: k.created_by_email,
      lastUsed: coarseLastUsed(k.last_used_at, now),
      spentThisMonth: formatCents(spend.get(k.id) ?? 0),
      spendLimit: k.spend_limit_cents === null ? null : formatCents(k.spend_limit_cents),
      spendLimitInput: k.spend_limit_cents === null ? "" : centsToDollarsInput(k.spend_limit_cents),
      expiry:
        state === "leaked" || k.expires_at === null
          ? null
          : expired
            ? `expired on ${k.expires_at.toISOString().slice(0, 10)}`
            : `expires ${coarseFromNow(k.expires_at, now)}`,
      expiresAt: iso(k.expires_at),
      leakedUrl: leaked ? k.leaked_url : null,
      leakedLink: leaked ? linkableUrl(k.leaked_url) : null,
      revokedAt: iso(k.revoked_at),
      idle: state === "active" && isIdleKey({ lastUsedAt: k.last_used_at, createdAt: k.created_at }, now),
      legacy: !k.checksummed,
      actions,
    };
  });
  const welcomeKey = input.sealedKey && (await isActiveMainKeyOf(db, who.accountId, input.sealedKey)) ? input.sealedKey : null;
  const primary = keys.find((k) => k.role === "primary" && k.state === "active") ?? null;
  const rolled = keys.find((k) => k.role === "rolled" && k.state === "active") ?? null;

  let confirm: KeyConfirmation | null = null;
  if (canManage && input.confirm) {
    const { kind, keyId } = input.confirm;
    // Regenerate and roll act on the account's main key (regenerate also when there is none: it makes one).
    const target = kind === "regenerate" || kind === "roll" ? primary : keys.find((k) => k.id === keyId && k.actions.includes(kind));
    confirm = { kind, key: target ?? null };
  }

  return {
    canManage,
    keys,
    hasPrimary,
    /** The previous main key still in its grace window: a regenerate stops it too. */
    rolled: rolled ? { display: rolled.display, expiresAt: rolled.expiresAt } : null,
    /** The main key found public, while the account has no other (the page says where, and offers a new one). */
    leakedMain: hasPrimary ? null : (keys.find((k) => k.kind === "main" && k.state === "leaked") ?? null),
    /** Live keys issued before checksummed keys: the page nudges to roll or replace them. */
    legacyCount: keys.filter((k) => k.legacy && k.state !== "leaked").length,
    legacyMain: keys.some((k) => k.legacy && k.kind === "main" && k.state !== "leaked"),
    legacyAdditional: keys.some((k) => k.legacy && k.kind === "additional" && k.state !== "leaked"),
    additionalCount: keys.filter((k) => k.kind === "additional" && k.state !== "leaked").length,
    // The model's limits travel as data: a .server module's exports do not exist in the browser.
    maxAdditional: MAX_ADDITIONAL_KEYS,
    keyNameMax: KEY_NAME_MAX,
    expiryBounds: expiryDateBounds(now),
    rollWindows: Object.entries(ROLL_WINDOW_LABELS).map(([value, label]) => ({ value, label })),
    defaultRollWindow: DEFAULT_ROLL_WINDOW,
    idleDays: KEY_IDLE_DAYS,
    welcomeKey,
    confirm,
    /** Where /v1 answers, for the quickstart's curl line (the API is served on the app's own origin). */
    apiBase: services.config.publicUrl,
  };
}

export type ApiKeysPage = NonNullable<Awaited<ReturnType<typeof loadApiKeysPage>>>;

/** The answer to "Check a key": how it reads, and a line or two on what to do. */
export type KeyCheck = { verdict: "not_a_key" | "typo" | "old_format" | "this_account" | "other"; tone: "ok" | "error" | "info"; lines: string[] };

const SHAPE = `Switchboard keys are ${KEY_PREFIX} followed by ${KEY_LENGTH - KEY_PREFIX.length} letters, digits, “-” or “_” (${KEY_LENGTH} characters in all).`;

/**
 * "Check a key": the shape and the checksum need no database; a well-formed
 * key is then looked up by hash among this account's keys only (also one
 * whose checksum is wrong: an old-format key of this account has none). The
 * key is neither stored nor returned, and nothing here logs it.
 */
export async function checkPastedKey(services: Pick<Services, "db">, who: { userId: string; accountId: string }, pasted: string): Promise<KeyCheck | null> {
  const role = await getMembershipRole(services.db, who.accountId, who.userId);
  if (!role || !can(role, "view_keys")) return null;
  const key = pasted.trim();
  if (!isWellFormedApiKey(key)) {
    const why = !key.startsWith(KEY_PREFIX)
      ? `It does not start with ${KEY_PREFIX}.`
      : key.length !== KEY_LENGTH
        ? `It has ${key.length} characters instead of ${KEY_LENGTH}: part of it may be missing, or something else was copied with it.`
        : "It contains a character a key never has (a space, a quote, a dot…).";
    return { verdict: "not_a_key", tone: "error", lines: [`This is not a Switchboard API key. ${why}`, SHAPE] };
  }
  const checksumOk = hasValidChecksum(key);
  const row = await accountKeyByPlaintext(services.db, who.accountId, key);
  if (!row) {
    return checksumOk
      ? {
          verdict: "other",
          tone: "info",
          lines: [
            "This looks like a Switchboard key (its checksum is right), but it is not one of this account's keys.",
            "It may belong to another Switchboard account. If you expected it here, it may have been deleted long ago.",
          ],
        }
      : {
          verdict: "typo",
          tone: "error",
          lines: [
            "This key has a typo: its last 6 characters are a checksum of the rest, and they do not match.",
            "Copy it again from where you stored it. If it is lost, create a new key (or roll the main key).",
          ],
        };
  }
  const named = `this account's ${row.kind === "main" ? (row.superseded_at ? "previous (rolled) main key" : "main key") : `key “${row.name}”`} (${row.prefix}…${row.last4})`;
  const now = Date.now();
  const format = row.checksummed ? "This is a Switchboard key" : "This is an old-format Switchboard key (issued before checksummed keys)";
  if (row.status === "revoked") {
    const why =
      row.revoked_reason === "leaked"
        ? `It was revoked on ${utcMinute(row.revoked_at!)} because it was found public${row.leaked_url ? ` at ${row.leaked_url}` : ""}.`
        : "It was deleted or replaced and no longer works.";
    return {
      verdict: row.checksummed ? "this_account" : "old_format",
      tone: "error",
      lines: [`${format}: ${named}.`, why, "Use a current key from the list above."],
    };
  }
  if (row.expires_at && row.expires_at.getTime() <= now) {
    return {
      verdict: row.checksummed ? "this_account" : "old_format",
      tone: "error",
      lines: [`${format}: ${named}.`, `It expired on ${utcMinute(row.expires_at)} and no longer works. Create a new key, then delete this one.`],
    };
  }
  const until = row.expires_at ? ` until ${utcMinute(row.expires_at)}` : "";
  return row.checksummed
    ? { verdict: "this_account", tone: "ok", lines: [`${format}: ${named}. It works${until}.`] }
    : {
        verdict: "old_format",
        tone: "info",
        lines: [
          `${format}: ${named}. It works${until}.`,
          row.kind === "main" ? "Roll the main key to get one with a checksum." : "Create a new key to replace it, switch to it, then delete this one.",
        ],
      };
}
