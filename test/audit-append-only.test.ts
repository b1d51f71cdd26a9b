/** The audit trail is append-only in the database itself; GDPR redaction of details is the one way through. */
import { sql } from "kysely";
import { beforeEach, describe, expect, it } from "vitest";
import { writeAudit } from "../app/models/audit.server.js";
import { redactAuditDetails } from "../app/models/redaction.server.js";
import { truncateAll } from "./helpers/database.js";
import { useSuite } from "./helpers/suite.js";

const t = useSuite();

async function oneRow() {
  await writeAudit(
    t.db,
    { type: "staff", id: "s-1", ip: "203.0.113.7" },
    {
      action: "account.blocked",
      targetType: "account",
      targetId: "a-1",
      details: { reason: "fraud", note: "mentions jane@example.com" },
    },
  );
  return t.db.selectFrom("audit_log").selectAll().orderBy("id", "desc").executeTakeFirstOrThrow();
}

const row = (id: string) => t.db.selectFrom("audit_log").selectAll().where("id", "=", id).executeTakeFirstOrThrow();

beforeEach(() => truncateAll(t.db));

describe("audit_log is append-only", () => {
  it("refuses UPDATE of any column, details included, and leaves the row as it was", async () => {
    const before = await oneRow();
    await expect(t.db.updateTable("audit_log").set({ action: "account.unblocked" }).where("id", "=", before.id).execute()).rejects.toThrow(
      /audit_log is append-only: UPDATE is refused/,
    );
    await expect(t.db.updateTable("audit_log").set({ details: "{}" }).where("id", "=", before.id).execute()).rejects.toThrow(
      /audit_log is append-only: UPDATE is refused/,
    );
    expect(await row(before.id)).toEqual(before);
  });

  it("refuses DELETE", async () => {
    const before = await oneRow();
    await expect(t.db.deleteFrom("audit_log").where("id", "=", before.id).execute()).rejects.toThrow(/audit_log is append-only: DELETE is refused/);
    expect(await row(before.id)).toEqual(before);
  });

  it("lets redactAuditDetails replace details only, inside its transaction", async () => {
    const before = await oneRow();
    const other = await oneRow();
    const n = await t.db.transaction().execute((trx) => redactAuditDetails(trx, [before.id], { redacted: true }));
    expect(n).toBe(1);
    expect(await row(before.id)).toEqual({ ...before, details: { redacted: true } });
    expect(await row(other.id)).toEqual(other);
  });

  it("switches the permission off again: a later UPDATE in the same transaction is refused", async () => {
    const before = await oneRow();
    await expect(
      t.db.transaction().execute(async (trx) => {
        await redactAuditDetails(trx, [before.id], { redacted: true });
        await trx
          .updateTable("audit_log")
          .set({ details: JSON.stringify({ again: 1 }) })
          .where("id", "=", before.id)
          .execute();
      }),
    ).rejects.toThrow(/UPDATE is refused/);
    expect(await row(before.id)).toEqual(before);
  });

  it("with the setting on, still refuses a change to any other column, and details that are not an object", async () => {
    const before = await oneRow();
    for (const set of [
      { action: "account.unblocked" },
      { actor_id: "someone-else" },
      { target_id: "a-2" },
      { ip: "10.9.9.9" }, // an address may be forgotten (set NULL), never rewritten
      { details: JSON.stringify({ redacted: true }), action: "account.unblocked" },
    ] as const) {
      await expect(
        t.db.transaction().execute(async (trx) => {
          await sql`SET LOCAL switchboard.audit_redaction = 'on'`.execute(trx);
          await trx.updateTable("audit_log").set(set).where("id", "=", before.id).execute();
        }),
      ).rejects.toThrow(/a redaction may only replace details with a JSON object/);
    }
    await expect(
      t.db.transaction().execute(async (trx) => {
        await sql`SET LOCAL switchboard.audit_redaction = 'on'`.execute(trx);
        await sql`UPDATE audit_log SET at = at - interval '1 day' WHERE id = ${before.id}`.execute(trx);
      }),
    ).rejects.toThrow(/a redaction may only replace details/);
    await expect(
      t.db.transaction().execute(async (trx) => {
        await sql`SET LOCAL switchboard.audit_redaction = 'on'`.execute(trx);
        await sql`UPDATE audit_log SET details = '"gone"'::jsonb WHERE id = ${before.id}`.execute(trx);
      }),
    ).rejects.toThrow(/a redaction may only replace details with a JSON object/);
    // DELETE is refused whatever the setting.
    await expect(
      t.db.transaction().execute(async (trx) => {
        await sql`SET LOCAL switchboard.audit_redaction = 'on'`.execute(trx);
        await trx.deleteFrom("audit_log").where("id", "=", before.id).execute();
      }),
    ).rejects.toThrow(/DELETE is refused/);
    expect(await row(before.id)).toEqual(before);
  });

  it("SET LOCAL does not outlive its transaction: the pooled connection is append-only again", async () => {
    const before = await oneRow();
    // One connection throughout, so the check is about that connection's state.
    await t.db.connection().execute(async (conn) => {
      await conn.transaction().execute((trx) => redactAuditDetails(trx, [before.id], { redacted: true }));
      await expect(conn.updateTable("audit_log").set({ details: "{}" }).where("id", "=", before.id).execute()).rejects.toThrow(/UPDATE is refused/);
    });
  });
});
