/** Billing's mail: auto-recharge could not charge the saved card (declined, or the bank asks the owner to confirm). */
import { formatCents } from "../../models/money.js";
import type { MailWords } from "./mail-words.js";

export function rechargeFailedMail(input: { amountCents: bigint; reason: "declined" | "requires_action"; code: string; billingUrl: string }): MailWords {
  const why =
    input.reason === "requires_action"
      ? "your bank asked for the payment to be confirmed by you, which an automatic top-up cannot do"
      : `the card was declined${input.code === "card_declined" ? "" : ` (${input.code.replace(/_/g, " ")})`}`;
  return {
    subject: "Auto-recharge is paused: your card could not be charged",
    text:
      `We tried to top up your Switchboard credits by ${formatCents(input.amountCents)}, but ${why}.\n\n` +
      "Auto-recharge is paused so we don't try again and again. Your API keys keep working while the balance lasts.\n\n" +
      `To fix it, open Billing, save a working card (or add credits by hand) and save the auto-recharge rule again:\n${input.billingUrl}\n\n` +
      "Nothing was charged for this attempt.",
  };
}
