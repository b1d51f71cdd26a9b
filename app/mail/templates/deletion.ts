/** The deletion's one mail: the confirmation each person on the account gets, the last mail to their address. */
import type { MailWords } from "./mail-words.js";

export function deletionConfirmationMail(): MailWords {
  return {
    subject: "Your Switchboard account is being deleted",
    text:
      "As you asked, we are deleting your Switchboard account.\n\n" +
      "- Your API keys no longer work and every session has ended.\n" +
      "- You are unsubscribed from all of our mailing lists.\n" +
      "- Your personal data (email address, name, picture, sign-in identities, tickets' addresses and notes) is being erased. " +
      "We keep the account's credit history, without anything that identifies you, because bookkeeping law requires it.\n" +
      "- This email address can never be used to create a Switchboard account again.\n\n" +
      "This cannot be undone. This is the last mail we send to this address.",
  };
}
