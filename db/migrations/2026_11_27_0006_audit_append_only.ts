// Frozen in time: never import app code here (Kysely migration rule).
import { sql, type Kysely } from "kysely";

/**
 * The audit trail is append-only, enforced by the database rather than by
 * convention: a bug, a hand-written query or a compromised web process cannot
 * rewrite history. UPDATE and DELETE are refused row by row.
 *
 * One exception, for GDPR erasure: an UPDATE that changes nothing but `details`
 * (to a JSON object) passes while the transaction has set
 * `switchboard.audit_redaction = 'on'` (SET LOCAL). Who did what, to what and
 * when stays; only the details (which could hold an erased person's data)
 * may be replaced. Every other column is compared as a whole row minus
 * `details`, so a column added later is protected without touching this trigger.
 *
 * TRUNCATE is deliberately not blocked: it is a statement only the schema owner
 * may run (tests empty tables with it), not something application code does.
 * The trigger is not a defence against the table owner (who may disable it);
 * it guards against the application's own mistakes.
 *
 * Also the indexes the console's audit filters need; (target_type, target_id,
 * id desc) and (at desc, id desc) exist since the foundation.
 */
export async function up(db: Kysely<any>): Promise<void> {
  await sql`
    CREATE FUNCTION audit_log_append_only() RETURNS trigger
    LANGUAGE plpgsql AS $$
    BEGIN
      IF TG_OP = 'UPDATE'
         AND current_setting('switchboard.audit_redaction', true) = 'on'
         AND jsonb_typeof(NEW.details) = 'object'
         AND (to_jsonb(NEW) - 'details') = (to_jsonb(OLD) - 'details') THEN
        RETURN NEW;
      END IF;
      IF TG_OP = 'UPDATE' AND current_setting('switchboard.audit_redaction', true) = 'on' THEN
        RAISE EXCEPTION 'audit_log is append-only: a redaction may only replace details with a JSON object (audit row %)', OLD.id
          USING ERRCODE = 'insufficient_privilege';
      END IF;
      RAISE EXCEPTION 'audit_log is append-only: % is refused (audit row %)', TG_OP, OLD.id
        USING ERRCODE = 'insufficient_privilege',
              HINT = 'Audit rows are never changed or removed; GDPR erasure redacts details through redactAuditDetails.';
    END;
    $$;

    CREATE TRIGGER audit_log_append_only
      BEFORE UPDATE OR DELETE ON audit_log
      FOR EACH ROW EXECUTE FUNCTION audit_log_append_only();

    CREATE INDEX audit_log_action ON audit_log (action, id DESC);
    CREATE INDEX audit_log_actor ON audit_log (actor_type, actor_id, id DESC);
  `.execute(db);
}

export async function down(db: Kysely<any>): Promise<void> {
  await sql`
    DROP INDEX audit_log_actor;
    DROP INDEX audit_log_action;
    DROP TRIGGER audit_log_append_only ON audit_log;
    DROP FUNCTION audit_log_append_only();
  `.execute(db);
}
