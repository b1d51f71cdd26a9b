/**
 * The words of a deletion refusal and the sign-in age it allows, for the
 * server and the browser alike: the delete page renders them in its component,
 * and a `.server` module is empty in the browser bundle (calling one there
 * crashed the page after hydration, issue 13). The checks themselves stay in
 * deletions.server.ts.
 */

/** How recent a sign-in must be to delete one's own account. */
export const RECENT_SIGN_IN_MS = 10 * 60_000;

export type DeletionRefusal =
  "not_owner" | "has_members" | "not_active" | "transfer_open" | "already_deleting" | "email_missing" | "email_mismatch" | "stale_sign_in" | "reason_missing";

/** The words for a refusal; `support` when staff asked on the person's behalf. */
export function deletionRefusalMessage(refusal: DeletionRefusal, asker: "self" | "support" = "self"): string {
  if (asker === "support") {
    if (refusal === "has_members") return "This account has other members. Its owner must remove them or hand over ownership before it can be deleted.";
    if (refusal === "not_active")
      return "This account is blocked or already deleted, so it cannot be deleted now. Unblock it first if the person's request stands.";
    if (refusal === "transfer_open")
      return "An approved email transfer of this account is moving its credits right now. Try again in a minute, once it has finished.";
  }
  switch (refusal) {
    case "not_owner":
      return "Only the account's owner can delete it. Ask the owner, or leave the account instead.";
    case "has_members":
      return "You are the only owner of an account that has other members. Remove them or hand over ownership first; then delete your account.";
    case "not_active":
      return "This account cannot be deleted in its current state (it is blocked or already deleted). Contact support.";
    case "transfer_open":
      return "An approved email transfer of this account is moving its credits right now. Try again in a minute, once it has finished.";
    case "already_deleting":
      return "This account is already being deleted.";
    case "email_missing":
      return "Type your email address to confirm.";
    case "email_mismatch":
      return "That is not the email address of this account. Type it exactly as shown.";
    case "stale_sign_in":
      return "For your security, sign in again first: deleting an account needs a sign-in from the last 10 minutes.";
    case "reason_missing":
      return "Give a reason (for example, the ticket or email in which the person asked).";
  }
}
