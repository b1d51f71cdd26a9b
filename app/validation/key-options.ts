/**
 * What a person may choose for an API key on the keys page, read from form
 * text: when an additional key expires, its monthly spend limit in dollars,
 * and how long a rolled main key keeps working. Client-safe (the page's
 * selects are built from the same lists); the route parses with it.
 */
import type { RollWindow } from "../models/api-keys.server.js";
import { formatCents, parseDollarsToCents } from "../models/money.js";

const DAY_MS = 86_400_000;

export const EXPIRY_CHOICES = [
  { value: "never", label: "Never" },
  { value: "30d", label: "In 30 days" },
  { value: "90d", label: "In 90 days" },
  { value: "date", label: "On a date…" },
] as const;
export type ExpiryChoice = (typeof EXPIRY_CHOICES)[number]["value"];

/** How far ahead an expiry date may be: a key meant to last longer than that should simply not expire. */
export const EXPIRY_MAX_YEARS = 3;

/** A key's monthly limit: at least a cent (the column's CHECK), at most $1,000,000 (beyond it a limit limits nothing). */
export const SPEND_LIMIT_MIN_CENTS = 1n;
export const SPEND_LIMIT_MAX_CENTS = 100_000_000n;

/** The labels of the model's roll windows; typed against them, so a window added there must be worded here. */
export const ROLL_WINDOW_LABELS: Record<RollWindow, string> = { "1h": "1 hour", "24h": "24 hours", "7d": "7 days" };
export const DEFAULT_ROLL_WINDOW: RollWindow = "24h";
export const isRollWindow = (s: string): s is RollWindow => Object.hasOwn(ROLL_WINDOW_LABELS, s);

/** "2026-12-08": a UTC day as an `<input type="date">` holds it. */
export const utcDay = (at: Date) => at.toISOString().slice(0, 10);

/** The first and last day an expiry date may name, for the date input's min and max (the day after `now`, and 3 years on). */
export function expiryDateBounds(now: Date): { min: string; max: string } {
  const max = new Date(now);
  max.setUTCFullYear(max.getUTCFullYear() + EXPIRY_MAX_YEARS);
  return { min: utcDay(new Date(now.getTime() + DAY_MS)), max: utcDay(max) };
}

export type Parsed<T> = { ok: true; value: T } | { ok: false; field: "expires" | "expiresOn" | "spendLimit"; message: string };

/**
 * The expiry a form asked for. A date means 00:00 UTC at the start of that day
 * (the page says so): the earliest is tomorrow, since today's midnight has
 * passed. Null: never.
 */
export function parseExpiry(choice: string, dateText: string, now: Date): Parsed<Date | null> {
  const date = dateText.trim();
  if (choice !== "date" && date !== "") {
    const picked = EXPIRY_CHOICES.find((c) => c.value === choice)?.label ?? choice;
    return { ok: false, field: "expiresOn", message: `You chose “${picked}” and also a date. Choose “On a date…” to use the date, or clear it.` };
  }
  switch (choice) {
    case "never":
      return { ok: true, value: null };
    case "30d":
    case "90d":
      return { ok: true, value: new Date(now.getTime() + Number(choice.slice(0, -1)) * DAY_MS) };
    case "date": {
      const { min, max } = expiryDateBounds(now);
      const m = /^(\d{4})-(\d{2})-(\d{2})$/.exec(date);
      const at = m ? new Date(Date.UTC(Number(m[1]), Number(m[2]) - 1, Number(m[3]))) : null;
      // Date.UTC rolls 31 April over to 1 May: a day the calendar does not have is no date.
      if (!at || utcDay(at) !== date) return { ok: false, field: "expiresOn", message: "Enter the expiry date as YYYY-MM-DD, e.g. 2027-03-31." };
      if (date < min) return { ok: false, field: "expiresOn", message: `Choose a date from ${min} on: the key stops at 00:00 UTC on the day you choose.` };
      if (date > max) return { ok: false, field: "expiresOn", message: `Choose a date up to ${max} (at most ${EXPIRY_MAX_YEARS} years ahead), or “Never”.` };
      return { ok: true, value: at };
    }
    default:
      return { ok: false, field: "expires", message: "Choose when the key expires: never, in 30 or 90 days, or on a date." };
  }
}

const LIMIT_RANGE = `from ${formatCents(SPEND_LIMIT_MIN_CENTS)} to ${formatCents(SPEND_LIMIT_MAX_CENTS)}`;

/** A monthly spend limit in dollars, as the billing page reads amounts; empty: no limit. */
export function parseSpendLimit(text: string): Parsed<bigint | null> {
  const typed = text.trim();
  if (typed === "") return { ok: true, value: null };
  // Long input is no amount (and never reaches the regular expression).
  const cents = typed.length > 20 ? null : parseDollarsToCents(typed.replace(/^\$/, ""));
  if (cents === null) {
    const hint = typed.includes(",") ? " (without thousands separators)" : "";
    return {
      ok: false,
      field: "spendLimit",
      message: `Enter the limit in dollars${hint}, like 100 or 250.50, ${LIMIT_RANGE}; or leave it empty for no limit.`,
    };
  }
  if (cents < SPEND_LIMIT_MIN_CENTS || cents > SPEND_LIMIT_MAX_CENTS) {
    return { ok: false, field: "spendLimit", message: `A spend limit is ${LIMIT_RANGE}; leave it empty for no limit.` };
  }
  return { ok: true, value: cents };
}
