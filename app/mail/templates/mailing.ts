/** A list mail as each subscriber reads it: the staff's own subject and text, then the footer saying why and how to leave. */
import type { MailWords } from "./mail-words.js";

export function listMailingMail(input: { publicUrl: string; listName: string; unsubscribeUrl: string; subject: string; text: string }): MailWords {
  return {
    subject: input.subject,
    text:
      `${input.text.trimEnd()}\n\n-- \n` +
      `You receive this because you subscribed to "${input.listName}" from Switchboard.\n` +
      `Unsubscribe with one click: ${input.unsubscribeUrl}\n` +
      `Manage your subscriptions: ${input.publicUrl}/settings/notifications\n`,
  };
}
