/** The invitation to join an account, as the invited address receives it (new and resent alike). */
import type { InvitedRole } from "../../../db/schema.js";
import type { MailWords } from "./mail-words.js";

export function invitationMail(input: { publicUrl: string; accountName: string; role: InvitedRole; email: string; token: string }): MailWords {
  return {
    // Not the account's name: that is text the inviter chose (by default their own name), and a
    // subject is what a stranger's mailbox shows first. The body names the account, in quotes.
    subject: "You are invited to an account on Switchboard",
    text:
      `You are invited to join "${input.accountName}" on Switchboard as ${input.role === "admin" ? "an admin" : "a member"}.\n\n` +
      `Accept by signing in with Google or GitHub as ${input.email}:\n\n${input.publicUrl}/invitations/${input.token}\n\n` +
      `The link expires in 7 days. If you did not expect this, ignore this mail.`,
  };
}
