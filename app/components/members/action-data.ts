/** What every members form posts to, and what its action answers (the page shows it above the forms). */
import type { FieldErrors } from "../forms.js";

export const MEMBERS_PAGE = "/settings/members";

export type MembersFieldErrors = FieldErrors<"email" | "role" | "username">;

export type MembersActionData = {
  notice: string | null;
  error: string | null;
  errors: MembersFieldErrors;
  values: { email: string; role: string; username: string };
  revealed: { username: string; password: string; reset: boolean } | null;
  /** The account's new main key, after removing the person who had made the old one: shown once. */
  newMainKey: { display: string; plaintext: string } | null;
};
