/**
 * Security mail, worded in one place: one short plain-text mail per event on
 * an account's keys, logins and members, to its owners and admins. Each says
 * what happened, which key or person (a key by its name and display form,
 * never the secret), who did it, when (UTC), and what to do if it wasn't them.
 * Also the words Settings → Notifications shows for each kind.
 */
import { formatCents } from "../../models/money.js";
import type { SecurityEvent, SecurityMailKind } from "../../models/security-mail.server.js";
import type { MailWords } from "./mail-words.js";

/** "2026-12-08 14:05 UTC": no time zone to guess, no month/day order to guess. */
export const utcMinute = (at: Date) => `${at.toISOString().slice(0, 16).replace("T", " ")} UTC`;

const MONTHS = ["January", "February", "March", "April", "May", "June", "July", "August", "September", "October", "November", "December"];

/** "2026-12" → "December 2026". */
export function monthWords(month: string): string {
  const [y, m] = month.split("-").map(Number);
  return `${MONTHS[m - 1]} ${y}`;
}

/** "2026-12" → the first moment of the next month, when a spend limit starts again. */
function nextMonthStart(month: string): Date {
  const [y, m] = month.split("-").map(Number);
  return new Date(Date.UTC(y, m, 1));
}

/** How Settings → Notifications names each kind, and what it is about. */
export const SECURITY_MAIL_WORDS: Record<SecurityMailKind, { label: string; description: string }> = {
  key_created: { label: "An API key is created", description: "Someone on the account made a new additional key." },
  key_regenerated: { label: "The main key is regenerated", description: "The old main key stopped working at once." },
  key_rolled: { label: "The main key is rolled", description: "A new main key, with the old one working for a while." },
  key_deleted: { label: "An API key is deleted", description: "An additional key stopped working." },
  key_leaked: { label: "A key is found public", description: "A secret scanner found one of your keys in public, and we revoked it." },
  key_spend_limit_reached: {
    label: "A key reaches its spend limit",
    description: "Once a month per key, when a key's monthly spend limit starts refusing requests.",
  },
  password_login_created: { label: "A password login is created", description: "A new username and password that can sign in to the account." },
  member_added: { label: "A member joins", description: "Someone accepted an invitation to the account." },
  member_removed: { label: "A member leaves or is removed", description: "Someone no longer belongs to the account." },
};

export interface SecurityMailInput {
  event: SecurityEvent;
  /** The account's name, as its people chose it. */
  accountName: string;
  /** Who did it, in words ("Ada Lovelace (ada@example.com)", "Switchboard support", …). */
  actorWords: string;
  at: Date;
  publicUrl: string;
}

const keyWords = (k: { name: string; display: string }) => `“${k.name}” (${k.display})`;
/** GitHub's `source` of a report ("content", "commit", "pull_request_description", …) as a reader says it. */
function sourceWords(source: string): string {
  if (source === "content") return "in a file";
  if (source === "commit") return "in a commit";
  return /^[a-z_]{1,60}$/.test(source) ? `in a ${source.replace(/_/g, " ")}` : "there";
}

export function securityMail(input: SecurityMailInput): MailWords {
  const { event, publicUrl } = input;
  const keysUrl = `${publicUrl}/settings/api-keys`;
  const sessionsUrl = `${publicUrl}/settings/sessions`;
  const membersUrl = `${publicUrl}/settings/members`;
  const billingUrl = `${publicUrl}/settings/billing`;
  // Someone who can change keys or members was signed in: their sessions are the first thing to end.
  const notYou = `If it wasn't you or someone you trust, end the sessions you don't recognise in Settings → Sessions (${sessionsUrl})`;
  let subject: string;
  let what: string;
  let todo: string;
  switch (event.kind) {
    case "key_created":
      subject = "A new API key was created on your Switchboard account";
      what = `A new API key, ${keyWords(event.key)}, was created. It can spend the account's credits.`;
      todo = `${notYou}, then delete the key in Settings → API keys: ${keysUrl}`;
      break;
    case "key_regenerated":
      subject = "Your Switchboard main API key was regenerated";
      what = `The main API key was regenerated: the new one is ${keyWords(event.key)}. The old main key stopped working at once; integrations that use it need the new key.`;
      todo = `${notYou}, then regenerate the main key again in Settings → API keys, so that only you have it: ${keysUrl}`;
      break;
    case "key_rolled":
      subject = "Your Switchboard main API key was rolled";
      what =
        `The main API key was rolled: the new one is ${keyWords(event.key)}. ` +
        `The old main key keeps working until ${utcMinute(event.oldKeyEndsAt)}, then stops.`;
      todo = `${notYou}, then regenerate the main key in Settings → API keys (that stops both the old and the new key at once): ${keysUrl}`;
      break;
    case "key_deleted":
      subject = "An API key was deleted on your Switchboard account";
      what = `The API key ${keyWords(event.key)} was deleted. It no longer works.`;
      todo = `${notYou}. If you still need a key there, create a new one in Settings → API keys: ${keysUrl}`;
      break;
    case "key_leaked":
      subject = "One of your Switchboard API keys was found public and revoked";
      what =
        `The API key ${keyWords(event.key)} was found in public, ${sourceWords(event.source)}, at:\n${event.foundUrl}\n\n` +
        "Anyone could have copied it from there, so we revoked it at once: it no longer works.";
      todo =
        `1. Remove the key from ${event.foundUrl} (and its history), even though it is dead.\n` +
        `2. Create a new key in Settings → API keys and put it where the old one was used: ${keysUrl}\n` +
        `3. Check Billing for usage you don't recognise: ${billingUrl}`;
      return {
        subject,
        text: `On your Switchboard account "${input.accountName}":\n\n${what}\n\nWho: ${input.actorWords}.\nWhen: ${utcMinute(input.at)}.\n\nWhat to do now:\n${todo}\n`,
      };
    case "key_spend_limit_reached":
      subject = "An API key reached its monthly spend limit";
      what =
        `The API key ${keyWords(event.key)} reached its spend limit of ${formatCents(event.limitCents)} for ${monthWords(event.month)}. ` +
        `Requests with it that would spend more are refused until ${utcMinute(nextMonthStart(event.month))}, when the limit starts again, ` +
        "or until the limit is raised. Other keys are not affected. This is the only mail about it this month.";
      todo = `If you don't recognise this usage, check Billing (${billingUrl}) and delete the key in Settings → API keys: ${keysUrl}`;
      return {
        subject,
        text: `On your Switchboard account "${input.accountName}":\n\n${what}\n\nWho: ${input.actorWords}.\nWhen: ${utcMinute(input.at)}.\n\n${todo}\n`,
      };
    case "password_login_created":
      subject = "A password login was created on your Switchboard account";
      what = `A password login with the username "${event.username}" was created. Whoever has its password can sign in to the account.`;
      todo = `${notYou}, then remove the login in Settings → Members: ${membersUrl}`;
      break;
    case "member_added":
      subject = "Someone joined your Switchboard account";
      what = `${event.memberEmail} joined the account as ${event.role === "admin" ? "an admin" : "a member"}.`;
      todo = `${notYou}, then remove them in Settings → Members: ${membersUrl}`;
      break;
    case "member_removed":
      subject = "A member is no longer on your Switchboard account";
      what = `${event.memberEmail} is no longer a member of the account. Their sessions on it ended, and the API keys they created stopped working.`;
      todo = `${notYou}, and check Settings → Members and Settings → API keys: ${membersUrl}`;
      break;
  }
  return {
    subject,
    text: `On your Switchboard account "${input.accountName}":\n\n${what}\n\nWho: ${input.actorWords}.\nWhen: ${utcMinute(input.at)}.\n\n${todo}\n`,
  };
}
