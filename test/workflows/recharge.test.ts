/** The recharge workflow on the real Temporal server, triggered by real API debits. */
import { describe, expect, it } from "vitest";
import { ledgerSum } from "../../app/models/ledger.server.js";
import { saveRechargeRule } from "../../app/models/recharge-rules.server.js";
import { rechargeWorkflowId } from "../../workflows/shared.js";
import { accountWithKey } from "../helpers/accounts.js";
import { realActivities } from "../helpers/activities.js";
import { useSuite } from "../helpers/suite.js";

const t = useSuite({ app: true });

const debit = (key: string, amount_cents: number, idempotency_key = crypto.randomUUID()) =>
  fetch(`${t.app.url}/v1/usage`, {
    method: "POST",
    headers: { Authorization: `Bearer ${key}`, "Content-Type": "application/json" },
    body: JSON.stringify({ amount_cents, idempotency_key }),
  });

async function accountWithRule(paymentMethod: "test_card_approve" | "test_card_decline") {
  const a = await accountWithKey(t.db, { balanceCents: 2_000n });
  await saveRechargeRule(t.db, a.accountId, { enabled: true, thresholdCents: 1_000n, targetCents: 5_000n, paymentMethod }, { type: "user", id: a.userId });
  return a;
}

const rechargeEntries = (accountId: string) =>
  t.db.selectFrom("ledger_entries").select(["amount_cents", "idempotency_key"]).where("account_id", "=", accountId).where("kind", "=", "recharge").execute();

describe("recharge", () => {
  it("a debit below the threshold tops the balance up to the target, once", async () => {
    const a = await accountWithRule("test_card_approve");
    const result = await t.temporal.runWorker(realActivities(t.db), async () => {
      expect((await debit(a.key, 1_500)).status).toBe(201); // 2000 → 500, below 1000
      return t.temporal.client.workflow.getHandle(rechargeWorkflowId(a.accountId)).result();
    });
    expect(result).toEqual({ outcome: "recharged", amountCents: "4500" });
    const account = await t.db.selectFrom("accounts").select("balance_cents").where("id", "=", a.accountId).executeTakeFirstOrThrow();
    expect(account.balance_cents).toBe("5000");
    expect(await ledgerSum(t.db, a.accountId)).toBe(5_000n);
    expect(await rechargeEntries(a.accountId)).toHaveLength(1);
    const rule = await t.db
      .selectFrom("recharge_rules")
      .select(["last_outcome", "paused_reason"])
      .where("account_id", "=", a.accountId)
      .executeTakeFirstOrThrow();
    expect(rule).toEqual({ last_outcome: "recharged", paused_reason: null });
  });

  it("a retried charge and a retried credit neither charge nor credit twice", async () => {
    const a = await accountWithRule("test_card_approve");
    const real = realActivities(t.db);
    let charges = 0;
    let applies = 0;
    const flaky = {
      ...real,
      async chargeRecharge(input: Parameters<typeof real.chargeRecharge>[0]) {
        const r = await real.chargeRecharge(input);
        if (++charges === 1) throw new Error("provider answered, the worker died");
        return r;
      },
      async applyRecharge(input: Parameters<typeof real.applyRecharge>[0]) {
        await real.applyRecharge(input);
        if (++applies === 1) throw new Error("committed, then lost the completion");
      },
    };
    const result = await t.temporal.runWorker(flaky, async () => {
      await debit(a.key, 1_500);
      return t.temporal.client.workflow.getHandle(rechargeWorkflowId(a.accountId)).result();
    });
    expect(result.outcome).toBe("recharged");
    expect({ charges, applies }).toEqual({ charges: 2, applies: 2 });
    expect(await rechargeEntries(a.accountId)).toHaveLength(1);
    // The provider saw one charge for this run, however often it was asked.
    const { runId } = await t.temporal.client.workflow.getHandle(rechargeWorkflowId(a.accountId)).describe();
    const provider = await t.db
      .selectFrom("test_payment_charges")
      .select(["amount_cents", "outcome"])
      .where("idempotency_key", "=", `recharge:${rechargeWorkflowId(a.accountId)}:${runId}`)
      .execute();
    expect(provider).toEqual([{ amount_cents: "4500", outcome: "approved" }]);
    expect(await ledgerSum(t.db, a.accountId)).toBe(5_000n);
  });

  it("a decline is recorded, pauses the rule, and later debits start no recharge", async () => {
    const a = await accountWithRule("test_card_decline");
    const result = await t.temporal.runWorker(realActivities(t.db), async () => {
      await debit(a.key, 1_500);
      return t.temporal.client.workflow.getHandle(rechargeWorkflowId(a.accountId)).result();
    });
    expect(result).toEqual({ outcome: "declined", code: "card_declined" });
    const rule = await t.db
      .selectFrom("recharge_rules")
      .select(["last_outcome", "paused_reason", "enabled"])
      .where("account_id", "=", a.accountId)
      .executeTakeFirstOrThrow();
    expect(rule).toEqual({ last_outcome: "declined: card_declined", paused_reason: "card_declined", enabled: true });
    expect(await rechargeEntries(a.accountId)).toHaveLength(0);
    const audit = await t.db
      .selectFrom("audit_log")
      .select("details")
      .where("action", "=", "billing.recharge_declined")
      .where("target_id", "=", a.accountId)
      .execute();
    expect(audit).toHaveLength(1);

    // Paused: another debit below the threshold does not start a new run.
    const before = await t.temporal.client.workflow.getHandle(rechargeWorkflowId(a.accountId)).describe();
    expect((await debit(a.key, 100)).status).toBe(201);
    const after = await t.temporal.client.workflow.getHandle(rechargeWorkflowId(a.accountId)).describe();
    expect(after.runId).toBe(before.runId);
  });

  it("without a rule, debits below any amount start nothing", async () => {
    const a = await accountWithKey(t.db, { balanceCents: 100n });
    expect((await debit(a.key, 5_000)).status).toBe(201);
    await expect(t.temporal.client.workflow.getHandle(rechargeWorkflowId(a.accountId)).describe()).rejects.toThrow(/not found/i);
  });
});
