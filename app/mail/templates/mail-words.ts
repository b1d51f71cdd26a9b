/** What every template returns: the words of one mail, for the mailer to address and enqueue. */
export interface MailWords {
  subject: string;
  text: string;
}
