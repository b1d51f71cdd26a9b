/**
 * A mail to a mailing list, as each subscriber receives it: their own signed
 * one-click unsubscribe link in `List-Unsubscribe`, with
 * `List-Unsubscribe-Post: List-Unsubscribe=One-Click` (RFC 8058) so mail
 * clients can unsubscribe with a POST, no sign-in needed.
 */
import type { OutgoingMail } from "../mail/mailer.server.js";
import { listMailingMail } from "../mail/templates/mailing.js";
import { signUnsubscribeToken } from "./unsubscribe-token.server.js";

export const unsubscribeUrl = (publicUrl: string, secrets: readonly string[], subscriptionId: string) =>
  `${publicUrl}/unsubscribe/${signUnsubscribeToken(secrets, subscriptionId)}`;

export function listMail(input: {
  publicUrl: string;
  secrets: readonly string[];
  mailingId: string;
  list: { id: string; name: string };
  subscriptionId: string;
  to: string;
  subject: string;
  text: string;
}): OutgoingMail {
  const url = unsubscribeUrl(input.publicUrl, input.secrets, input.subscriptionId);
  const host = new URL(input.publicUrl).hostname;
  return {
    to: input.to,
    ...listMailingMail({ publicUrl: input.publicUrl, listName: input.list.name, unsubscribeUrl: url, subject: input.subject, text: input.text }),
    kind: `list:${input.list.id}`,
    dedupeKey: `list-mailing:${input.mailingId}:${input.subscriptionId}`,
    related: { type: "list_mailing", id: input.mailingId },
    headers: {
      "List-Unsubscribe": `<${url}>`,
      "List-Unsubscribe-Post": "List-Unsubscribe=One-Click",
      "List-Id": `${input.list.name} <${input.list.id.replace(/_/g, "-")}.${host}>`,
    },
  };
}
