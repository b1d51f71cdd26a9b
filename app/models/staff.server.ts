/** Support staff, operators and admins: who may use the console, and with which role. */
import type { DbOrTrx } from "../../db/connection.js";
import type { StaffRole } from "../../db/schema.js";
import { writeAudit, type Actor } from "./audit.server.js";
import { normalizeEmail } from "./email.server.js";

export async function getStaffMember(db: DbOrTrx, id: string) {
  return db.selectFrom("staff").select(["id", "email", "role", "provider", "created_at"]).where("id", "=", id).executeTakeFirst();
}

export async function listStaff(db: DbOrTrx) {
  return db.selectFrom("staff").select(["id", "email", "role", "provider", "created_at"]).orderBy("email").execute();
}

export type StaffChange = { ok: true } | { ok: false; message: string };

export async function addStaff(db: DbOrTrx, email: string, role: StaffRole, actor: Actor): Promise<StaffChange> {
  const row = await db
    .insertInto("staff")
    .values({ email: normalizeEmail(email), role, created_by: actor.type === "staff" ? actor.id : null })
    .onConflict((oc) => oc.column("email").doNothing())
    .returning("id")
    .executeTakeFirst();
  if (!row) return { ok: false, message: "That email is already a staff member." };
  await writeAudit(db, actor, { action: "staff.added", targetType: "staff", targetId: row.id, details: { role } });
  return { ok: true };
}

/** At least one admin must remain, or nobody could manage staff again. */
async function wouldLeaveNoAdmin(db: DbOrTrx, staffId: string): Promise<boolean> {
  const admins = await db.selectFrom("staff").select("id").where("role", "=", "admin").forUpdate().execute();
  return admins.length === 1 && admins[0].id === staffId;
}

export async function setStaffRole(db: DbOrTrx, staffId: string, role: StaffRole, actor: Actor): Promise<StaffChange> {
  if (role !== "admin" && (await wouldLeaveNoAdmin(db, staffId))) {
    return { ok: false, message: "This is the last admin; make someone else an admin first." };
  }
  const result = await db.updateTable("staff").set({ role }).where("id", "=", staffId).executeTakeFirst();
  if (Number(result.numUpdatedRows) === 0) return { ok: false, message: "That staff member no longer exists." };
  await writeAudit(db, actor, { action: "staff.role_changed", targetType: "staff", targetId: staffId, details: { role } });
  return { ok: true };
}

export async function removeStaff(db: DbOrTrx, staffId: string, actor: Actor): Promise<StaffChange> {
  if (await wouldLeaveNoAdmin(db, staffId)) {
    return { ok: false, message: "This is the last admin; make someone else an admin first." };
  }
  // Their sessions go with the row (ON DELETE CASCADE), so console access ends at once.
  const result = await db.deleteFrom("staff").where("id", "=", staffId).executeTakeFirst();
  if (Number(result.numDeletedRows) === 0) return { ok: false, message: "That staff member no longer exists." };
  await writeAudit(db, actor, { action: "staff.removed", targetType: "staff", targetId: staffId });
  return { ok: true };
}

/** STAFF_ADMINS from config become admins (idempotent; existing rows keep their role). */
export async function seedStaffAdmins(db: DbOrTrx, emails: string[]): Promise<void> {
  if (emails.length === 0) return;
  await db
    .insertInto("staff")
    .values(emails.map((email) => ({ email: normalizeEmail(email), role: "admin" as const })))
    .onConflict((oc) => oc.column("email").doNothing())
    .execute();
}
