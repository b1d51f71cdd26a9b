/**
 * The sign-in page's message, chosen by codes in the query string (never by
 * text or an email in the URL).
 */
import type { Provider } from "../../db/schema.js";
import { refusalMessage, type RefusalReason } from "../models/sign-in.server.js";

const REFUSALS: RefusalReason[] = ["unverified_email", "other_provider", "tombstoned", "blocked", "transferred", "deleted", "invitation_unusable"];
const PROVIDERS: Provider[] = ["google", "github", "linkedin"];
const asProvider = (p: string | undefined) => PROVIDERS.find((x) => x === p);

export function loginMessage(q: {
  error?: string;
  provider?: string;
  bound?: string;
  ended?: string;
  signedOut?: string;
}): { kind: "error" | "info"; lines: string[] } | null {
  const refusal = REFUSALS.find((r) => r === q.error);
  if (refusal) return { kind: "error", lines: refusalMessage(refusal, asProvider(q.provider), asProvider(q.bound)) };
  if (q.error === "oauth") {
    return {
      kind: "error",
      lines: ["Sign-in did not complete: the provider's answer was invalid, expired or cancelled.", "Please try again."],
    };
  }
  if (q.ended === "blocked" || q.ended === "transferred" || q.ended === "deleted") {
    return { kind: "error", lines: ["You have been signed out.", ...refusalMessage(q.ended)] };
  }
  if (q.ended === "removed") {
    return {
      kind: "info",
      lines: ["You were removed from the account you were signed in to.", "Sign in again to use your other accounts, or ask its owner if this is a mistake."],
    };
  }
  if (q.ended === "left") {
    return {
      kind: "info",
      lines: [
        "You left the account. It was your only Switchboard account, so your personal data has been erased and you are signed out.",
        "You can sign in again at any time: you then start afresh, with an account of your own.",
      ],
    };
  }
  if (q.ended === "password_logins_off") {
    return {
      kind: "info",
      lines: ["Password logins were turned off for this account, so you were signed out.", "Ask the account's owner or Switchboard support."],
    };
  }
  if (q.ended === "ended") {
    return { kind: "info", lines: ["Your session was ended (signed out from another device, or by support).", "Sign in again to continue."] };
  }
  if (q.signedOut !== undefined) return { kind: "info", lines: ["You are signed out."] };
  return null;
}
