/** What the keys page's forms post to, and what its action answers (the page shows it above the list). */
import type { KeyCheck } from "../../presenters/api-keys-page.server.js";
import type { FieldErrors } from "../forms.js";

export const KEYS_PAGE = "/settings/api-keys";

export type CreateField = "name" | "expires" | "expiresOn" | "spendLimit";

export interface RevealedKey {
  kind: "main" | "additional";
  name: string;
  plaintext: string;
  display: string;
  /** How the main key came: regenerated (the old one stopped), rolled (the old one works until `until`), or made where there was none. */
  how: "regenerated" | "rolled" | "created" | null;
  /** A roll: the previous main key and when it stops ("2026-12-09 14:05 UTC", "in 24 hours"). */
  previous: { display: string; until: string; inWords: string } | null;
}

export type KeysActionData = {
  revealed: RevealedKey | null;
  notice: string | null;
  error: string | null;
  /** The create form sent back with its errors and what was typed (never a key). */
  create: { errors: FieldErrors<CreateField>; values: Record<CreateField, string> } | null;
  /** "Set spend limit" refused: the form again, for that key, with the error. */
  limit: { keyId: string; error: string; value: string } | null;
  /** "Check a key": the verdict, or the field's error. Never the key itself. */
  check: { answer: KeyCheck | null; error: string | null } | null;
};

export const EMPTY_ANSWER: KeysActionData = { revealed: null, notice: null, error: null, create: null, limit: null, check: null };
