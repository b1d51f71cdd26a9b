/** `/login/password/change`: which password login the new password is for. */
import type { Services } from "../context.server.js";
import { passwordLoginOf } from "../models/password-logins.server.js";

/** null: the person signs in otherwise (they have no password to change). */
export function loadChangePasswordPage(services: Pick<Services, "db">, who: { userId: string; accountId: string }) {
  return passwordLoginOf(services.db, who.userId, who.accountId);
}
