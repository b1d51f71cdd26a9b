/**
 * The shell every page shares (issue 19): errors render inside the settings
 * and console shells with their bars and a title per page, unknown addresses
 * say so instead of the router's text, the current page is marked, and
 * "Settings" opens Profile.
 */
import { beforeAll, describe, expect, it } from "vitest";
import { seedStaffOfEachRole, staffAgent } from "./helpers/staff.js";
import { useSuite } from "./helpers/suite.js";
import { UserAgent } from "./helpers/user-agent.js";

const t = useSuite({ app: true });
let customer: UserAgent;
let support: UserAgent;

beforeAll(async () => {
  await seedStaffOfEachRole(t.db);
  customer = new UserAgent(t.app.url);
  await customer.signIn("google", { email: "shell@example.com" });
  support = await staffAgent(t.app.url, "support");
});

const title = (html: string) => /<title>([^<]*)<\/title>/.exec(html)?.[1]?.replace(/&#x27;|&#39;/g, "'");
const currentLinks = (html: string) => [...html.matchAll(/<a[^>]*aria-current="page"[^>]*>([^<]*)</g)].map((m) => m[1]);

describe("errors inside the right shell", () => {
  it("an unknown console address is a 404 in the console's bar, with a title, not the router's text", async () => {
    const res = await support.request("/console/nope");
    expect(res.status).toBe(404);
    expect(res.body).not.toContain("No route matches");
    expect(res.body).toContain('href="/console/accounts"');
    expect(res.body).toContain("There is no console page at this address");
    expect(title(res.body)).toBe("Page not found · Console · Switchboard");
  });

  it("a console page the role may not open is a 403 in the console's bar", async () => {
    const res = await support.request("/console/staff");
    expect(res.status).toBe(403);
    expect(res.body).toContain('href="/console/tickets"');
    expect(res.body).toContain("Go to the dashboard");
    expect(title(res.body)).toMatch(/ · Console · Switchboard$/);
  });

  it("an unknown settings address is a 404 with the settings tabs", async () => {
    const res = await customer.request("/settings/nope");
    expect(res.status).toBe(404);
    expect(res.body).toContain('href="/settings/api-keys"');
    expect(res.body).toContain("shell@example.com");
    expect(title(res.body)).toBe("Page not found · Settings · Switchboard");
  });

  it("an unknown address anywhere else is a 404 with the bar and a way back", async () => {
    const res = await new UserAgent(t.app.url).request("/no/such/page");
    expect(res.status).toBe(404);
    expect(res.body).not.toContain("No route matches");
    expect(res.body).toContain('class="topbar"');
    expect(res.body).toContain("Go to the start page");
    expect(title(res.body)).toBe("Page not found · Switchboard");
  });

  it("the console still sends a signed-out visitor of an unknown address to sign in, not to a 404", async () => {
    const res = await new UserAgent(t.app.url).request("/console/nope");
    expect(res.status).toBe(302);
    expect(new URL(res.location!).pathname).toBe("/login");
  });
});

describe("where you are", () => {
  it("Settings opens Profile", async () => {
    const res = await customer.request("/settings");
    expect(new URL(res.location!).pathname).toBe("/settings/profile");
    expect((await customer.request("/")).body).toMatch(/href="\/settings\/profile"[^>]*>Settings</);
  });

  it("the top bar and the settings tabs mark the current page", async () => {
    const res = await customer.request("/settings/billing");
    // Twice "Settings": the wide bar and the collapsed menu carry the same links (one is display:none at a time).
    expect(currentLinks(res.body)).toEqual(["Settings", "Settings", "Billing"]);
    const dash = await support.request("/console/tickets");
    expect(currentLinks(dash.body).slice(0, 2)).toEqual(["Tickets", "Tickets"]);
  });

  it("every page has a skip link to its content, and a favicon", async () => {
    const res = await customer.request("/settings/profile");
    expect(res.body).toContain('href="#content"');
    expect(res.body).toContain('id="content"');
    expect(res.body).toMatch(/<link rel="icon" href="data:image\/svg\+xml,%3Csvg[^"]*" type="image\/svg\+xml"/);
  });
});
