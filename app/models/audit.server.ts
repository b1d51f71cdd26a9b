/**
 * The audit trail. Every state change a person or a workflow makes writes a row
 * in the same transaction as the change. Details hold ids and codes, not PII.
 */
import type { DbOrTrx } from "../../db/connection.js";
import type { ActorType, AuditRow } from "../../db/schema.js";

export interface Actor {
  type: ActorType;
  id: string | null;
  ip?: string | null;
}

export const SYSTEM: Actor = { type: "system", id: null };
export const workflowActor = (workflowId: string): Actor => ({ type: "workflow", id: workflowId });

export interface AuditEntry {
  action: string;
  targetType?: string | null;
  targetId?: string | null;
  details?: Record<string, unknown>;
}

export async function writeAudit(db: DbOrTrx, actor: Actor, entry: AuditEntry): Promise<void> {
  await db
    .insertInto("audit_log")
    .values({
      actor_type: actor.type,
      actor_id: actor.id,
      ip: actor.ip ?? null,
      action: entry.action,
      target_type: entry.targetType ?? null,
      target_id: entry.targetId ?? null,
      details: JSON.stringify(entry.details ?? {}),
    })
    .execute();
}

export async function recentAuditFor(db: DbOrTrx, target: { type: string; id: string }, limit = 20): Promise<AuditRow[]> {
  return db
    .selectFrom("audit_log")
    .selectAll()
    .where("target_type", "=", target.type)
    .where("target_id", "=", target.id)
    .orderBy("id", "desc")
    .limit(limit)
    .execute();
}
