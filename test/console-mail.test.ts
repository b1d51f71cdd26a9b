/** The console's Mail page: the outbox as a mailbox for staff only. */
import { beforeEach, describe, expect, it } from "vitest";
import { enqueueMail } from "../app/mail/mailer.server.js";
import { truncateAll } from "./helpers/database.js";
import { useSuite } from "./helpers/suite.js";
import { UserAgent, pageText } from "./helpers/user-agent.js";

const t = useSuite({ app: true });
beforeEach(async () => {
  await truncateAll(t.db);
  await t.db.insertInto("staff").values({ email: "operator@switchboard.test", role: "operator" }).execute();
});

describe("console mail", () => {
  it("lists the outbox and shows a mail with its links clickable and its text never as HTML", async () => {
    const { id } = await enqueueMail(
      t.db,
      {
        to: "reader@example.com",
        subject: "Confirm your transfer",
        text: "Open https://switchboard.test/confirm-transfer/tok123 to confirm.\n<script>alert(1)</script>",
        kind: "transfer_confirmation",
        dedupeKey: "t:1",
      },
      "outbox",
    );
    const staff = new UserAgent(t.app.url);
    await staff.signIn("github", { email: "operator@switchboard.test" });
    const list = await staff.get("/console/mail");
    expect(pageText(list.body)).toContain("Confirm your transfer");
    expect(pageText(list.body)).toContain("reader@example.com");
    expect(pageText(list.body)).toContain("this outbox is the mailbox");
    const page = await staff.get(`/console/mail/${id}`);
    expect(page.body).toContain('<a href="https://switchboard.test/confirm-transfer/tok123">');
    expect(page.body).not.toContain("<script>alert(1)</script>");
    expect(page.body).toContain("&lt;script&gt;alert(1)&lt;/script&gt;");
  });

  it("pages by a keyset cursor; a broken cursor is a 400, an unknown mail a 404", async () => {
    for (let i = 0; i < 30; i++) {
      await enqueueMail(
        t.db,
        { to: `p${i}@example.com`, subject: `Mail ${String(i).padStart(2, "0")}`, text: "x", kind: "test", dedupeKey: `k${i}` },
        "outbox",
      );
    }
    const staff = new UserAgent(t.app.url);
    await staff.signIn("github", { email: "operator@switchboard.test" });
    const first = await staff.get("/console/mail");
    const older = /href="([^"]*beforeId[^"]*)"/.exec(first.body)?.[1]?.replace(/&amp;/g, "&");
    expect(older).toBeDefined();
    const second = await staff.get(older!);
    const subjects = (html: string) => [...pageText(html).matchAll(/Mail (\d\d)/g)].map((m) => m[1]);
    expect(subjects(first.body)).toHaveLength(25);
    expect(subjects(second.body)).toHaveLength(5);
    expect(new Set([...subjects(first.body), ...subjects(second.body)]).size).toBe(30);
    expect((await staff.request("/console/mail?before=yesterday&beforeId=x")).status).toBe(400);
    expect((await staff.request(`/console/mail/${crypto.randomUUID()}`)).status).toBe(404);
  });

  it("is not for customers: 404", async () => {
    const user = new UserAgent(t.app.url);
    await user.signIn("google", { email: "nosy@example.com" });
    expect((await user.request("/console/mail")).status).toBe(404);
  });
});
