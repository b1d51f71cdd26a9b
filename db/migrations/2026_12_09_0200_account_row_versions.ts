// Frozen in time: never import app code here (Kysely migration rule).
import { sql, type Kysely } from "kysely";

/**
 * Versioned account notifications (issue 17). Every UPDATE of an account row
 * bumps `row_version`, and the `account_changed` NOTIFY says which version it
 * announces ("<id> <version>"). A web process that already holds that version
 * or a newer one (because it made the change itself, or loaded the row since)
 * keeps its cached snapshot instead of dropping it and reading the row again:
 * under a steady stream of debits, the drop-and-reload cost one query per
 * request, as many as the debits themselves.
 */
export async function up(db: Kysely<any>): Promise<void> {
  await sql`
    ALTER TABLE accounts ADD COLUMN row_version bigint NOT NULL DEFAULT 0;
    CREATE FUNCTION accounts_bump_row_version() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
      NEW.row_version := OLD.row_version + 1;
      RETURN NEW;
    END $$;
    CREATE TRIGGER accounts_row_version BEFORE UPDATE ON accounts
      FOR EACH ROW EXECUTE FUNCTION accounts_bump_row_version();
    CREATE OR REPLACE FUNCTION notify_account_changed() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
      PERFORM pg_notify('account_changed', NEW.id::text || ' ' || NEW.row_version::text);
      RETURN NEW;
    END $$;
  `.execute(db);
}

export async function down(db: Kysely<any>): Promise<void> {
  await sql`
    CREATE OR REPLACE FUNCTION notify_account_changed() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
      PERFORM pg_notify('account_changed', NEW.id::text);
      RETURN NEW;
    END $$;
    DROP TRIGGER accounts_row_version ON accounts;
    DROP FUNCTION accounts_bump_row_version();
    ALTER TABLE accounts DROP COLUMN row_version;
  `.execute(db);
}
