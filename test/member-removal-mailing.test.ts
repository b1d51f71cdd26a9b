/**
 * A person erased because their last membership ended is forgotten by the
 * external mailing-list provider too (docs/decisions/005): the removal starts
 * the eraseMailingContact workflow in its own transaction; a real worker, the
 * local provider stand-in.
 */
import { afterAll, beforeEach, describe, expect, it } from "vitest";
import { parseConfig } from "../app/config.server.js";
import { createLogger } from "../app/logger.server.js";
import { httpMailingProvider } from "../app/mailing-lists/provider.server.js";
import { mirrorSubscriptions } from "../app/services/mailing-sync.server.js";
import { setUserSubscriptions } from "../app/models/mailing.server.js";
import { startLocalMailingProvider } from "../dev/local-mailing-provider.js";
import { contactErasureWorkflowId, subscriptionSyncWorkflowId } from "../workflows/shared.js";
import { accountWithKey } from "./helpers/accounts.js";
import { realActivities } from "./helpers/activities.js";
import { truncateAll } from "./helpers/database.js";
import { useSuite } from "./helpers/suite.js";
import { UserAgent } from "./helpers/user-agent.js";

const provider = await startLocalMailingProvider();
const providerEnv = { MAILING_PROVIDER_URL: provider.url, MAILING_PROVIDER_TOKEN: provider.token };
const t = useSuite({ app: true, appEnv: providerEnv });
const mailingProvider = httpMailingProvider({ url: provider.url, token: provider.token });
afterAll(() => provider.stop());
beforeEach(async () => {
  await truncateAll(t.db);
});

const PAGE = "/settings/members";

describe("removal of someone with no other account, with a mailing provider", () => {
  it("erases their contact at the provider; someone with another account keeps theirs", async () => {
    await accountWithKey(t.db, { plan: "gpu_cluster", email: "olga@example.com" });
    const owner = new UserAgent(t.app.url);
    await owner.signIn("google", { email: "olga@example.com" });
    const members: Record<string, { userId: string }> = {};
    for (const email of ["mo@example.com", "sam@example.com"]) {
      expect((await owner.submit(PAGE, PAGE, { intent: "invite", email, role: "member" })).status).toBe(200);
      const mail = await t.db.selectFrom("mail_outbox").select("text_body").where("to_address", "=", email).executeTakeFirstOrThrow();
      await new UserAgent(t.app.url).signIn("github", { email }, /(\/invitations\/[A-Za-z0-9_-]{43})/.exec(mail.text_body)![1]);
      members[email] = await t.db.selectFrom("users").select("id as userId").where("email", "=", email).executeTakeFirstOrThrow();
    }
    const mo = members["mo@example.com"]!;
    const sam = members["sam@example.com"]!;
    // Sam also owns an account of their own, so removal only removes them.
    const own = await t.db.insertInto("accounts").values({ name: "Sam's" }).returning("id").executeTakeFirstOrThrow();
    await t.db.insertInto("memberships").values({ account_id: own.id, user_id: sam.userId, role: "owner" }).execute();

    const services = {
      temporal: t.temporal.client,
      config: parseConfig({ TEMPORAL_TASK_QUEUE: t.temporal.taskQueue, ...providerEnv }),
      logger: createLogger("silent", "test"),
    };
    await t.temporal.runWorker(realActivities(t.db, t.app.url, { mailingProvider }), async () => {
      for (const m of [mo, sam]) {
        const ids = await setUserSubscriptions(t.db, m.userId, new Set(["newsletter"]), { type: "user", id: m.userId });
        await mirrorSubscriptions(services, ids);
        for (const id of ids) await t.temporal.client.workflow.getHandle(subscriptionSyncWorkflowId(id)).result();
      }
      expect(provider.state().contacts[mo.userId]?.lists).toEqual(["newsletter"]);
      expect(provider.state().contacts[sam.userId]?.lists).toEqual(["newsletter"]);

      for (const m of [mo, sam]) expect((await owner.submit(PAGE, PAGE, { intent: "remove", userId: m.userId })).status).toBe(200);
      expect(await t.temporal.client.workflow.getHandle(contactErasureWorkflowId(mo.userId)).result()).toBe("erased");
    });
    expect(provider.state().contacts[mo.userId]).toBeUndefined();
    expect(provider.state().contacts[sam.userId]?.lists).toEqual(["newsletter"]);
    const started = [];
    for await (const w of t.temporal.client.workflow.list({ query: `WorkflowId = "${contactErasureWorkflowId(sam.userId)}"` })) started.push(w.workflowId);
    expect(started).toEqual([]);
  });
});
