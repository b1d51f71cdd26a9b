/**
 * The email transfer's mails, worded in one place: to the requester at each
 * end (rejected, expired, declined, failed, withdrawn, cancelled, completed,
 * closed by staff) and to the new address (its confirmation link, the
 * transfer received). Built from ids, links and amounts only.
 */
import { formatCents } from "../../models/money.js";
import { transferFailureReason } from "../../models/transfer-failures.js";
import type { MailWords } from "./mail-words.js";

const ticketUrl = (publicUrl: string, ticketId: string) => `${publicUrl}/support/tickets/${ticketId}`;

/** To the requester: verification failed (the failed checks by code). */
export function transferRejectedMail(input: { publicUrl: string; ticketId: string; failed: readonly string[] }): MailWords {
  return {
    subject: "Your email transfer request could not be verified",
    text: `We could not verify your request to move your Switchboard account to a new email address.\n\nWhat failed: ${input.failed.map((c) => c.replace(/_/g, " ")).join("; ")}.\n\nSee ${ticketUrl(input.publicUrl, input.ticketId)} for details, or reply to support.`,
  };
}

/** To the new address: the single-use link that confirms it may receive the account. */
export function transferConfirmationMail(input: { publicUrl: string; token: string; expiresAt: Date }): MailWords {
  return {
    subject: "Confirm that this account may receive a Switchboard account's credits",
    text:
      `Someone asked to move a Switchboard account to this email address. If that was you, sign in with this address and confirm:\n\n` +
      `${input.publicUrl}/confirm-transfer/${input.token}\n\n` +
      `The link works once and expires on ${input.expiresAt.toISOString().slice(0, 16).replace("T", " ")} UTC. If you did not ask for this, ignore this mail.`,
  };
}

export function transferExpiredMail(input: { publicUrl: string }): MailWords {
  return {
    subject: "Your email transfer request expired",
    text: `The new address did not confirm in time, so nothing was moved. You can ask again: ${input.publicUrl}/settings/email`,
  };
}

/** Staff rejected it; `reason`: what they wrote for the requester (null: none was recorded in time, the ticket page shows it once it is). */
export function transferDeclinedMail(input: { publicUrl: string; ticketId: string; reason: string | null }): MailWords {
  const why = input.reason ? `\n\nSupport's reason:\n${input.reason}\n\n` : " ";
  return {
    subject: "Your email transfer request was declined",
    text:
      `Support declined your request to move your Switchboard account. Nothing was moved and your account works as before.${why}` +
      `See ${ticketUrl(input.publicUrl, input.ticketId)}, reply to support if you have questions, or ask again from ${input.publicUrl}/settings/email.`,
  };
}

/** To the requester (the old account's address) once everything moved. */
export function transferCompletedOldMail(input: { transferredCents: string }): MailWords {
  return {
    subject: "Your Switchboard account was moved",
    text: `Everything on your old account (${formatCents(input.transferredCents)} of credit, plan and settings) now belongs to the account on your new address, and the old account is blocked. Update your integrations to use the new account's API key.`,
  };
}

/** To the new address once everything moved. */
export function transferCompletedNewMail(input: { transferredCents: string }): MailWords {
  return {
    subject: "Your Switchboard account received a transfer",
    text: `Your account received ${formatCents(input.transferredCents)} of credit, the plan and settings of your previous account. Sign in with this address from now on.`,
  };
}

/** Closed without moving anything; `compensated`: the old account had been blocked and was unblocked. */
export function transferFailedMail(input: { publicUrl: string; ticketId: string; reason: string; compensated: boolean }): MailWords {
  const why = transferFailureReason(input.reason);
  const oldAccount = input.compensated
    ? "Your old account was unblocked and keeps its balance; its API keys were stopped when it was blocked, so create new ones in Settings → API keys."
    : "Your old account works as before and keeps its balance.";
  return {
    subject: "Your email transfer could not be completed",
    text: `The transfer could not be completed and nothing was moved: ${why}. ${oldAccount} ${ticketUrl(input.publicUrl, input.ticketId)}`,
  };
}

export function transferWithdrawnMail(input: { publicUrl: string; ticketId: string }): MailWords {
  return {
    subject: "You withdrew your email transfer request",
    text: `As you asked, your request to move your Switchboard account was withdrawn; nothing was moved and the confirmation link no longer works. ${ticketUrl(input.publicUrl, input.ticketId)}`,
  };
}

/** Staff cancelled the workflow while it waited. */
export function transferCancelledMail(input: { publicUrl: string; ticketId: string }): MailWords {
  return {
    subject: "Your email transfer request was cancelled",
    text: `Support cancelled your request to move your Switchboard account; nothing was moved and the confirmation link no longer works. See ${ticketUrl(input.publicUrl, input.ticketId)} or reply to support.`,
  };
}

/** Staff closed by hand a ticket whose workflow had ended without closing it. */
export function transferClosedByStaffMail(input: { publicUrl: string; ticketId: string; status: "completed" | "cancelled" }): MailWords {
  return input.status === "completed"
    ? { subject: "Your Switchboard account was moved", text: `Your account was moved to your new address. See ${ticketUrl(input.publicUrl, input.ticketId)}.` }
    : {
        subject: "Your email transfer request was closed",
        text: `Support closed your request to move your Switchboard account; nothing was moved. See ${ticketUrl(input.publicUrl, input.ticketId)} or reply to support.`,
      };
}
