/**
 * Two real web processes on one database: a key regenerated through one is
 * refused by the other within a second (the change feed), though the other had
 * it cached as valid.
 */
import { spawn, type ChildProcess } from "node:child_process";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { inject } from "vitest";
import { startLocalOAuthServer, type LocalOAuthServer } from "../dev/local-oauth-server.js";
import { freePort } from "../dev/temporal-dev-server.js";
import { useSuite } from "./helpers/suite.js";
import { UserAgent } from "./helpers/user-agent.js";

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");
const t = useSuite();
let oauth: LocalOAuthServer;
const webs: { url: string; child: ChildProcess; output: string[] }[] = [];

async function startWeb(): Promise<(typeof webs)[number]> {
  const port = await freePort();
  const url = `http://127.0.0.1:${port}`;
  const output: string[] = [];
  const child = spawn(process.execPath, ["--import", "tsx", "server/web.ts"], {
    cwd: root,
    env: {
      PATH: process.env.PATH,
      NODE_ENV: "test",
      LOG_LEVEL: "warn",
      HOST: "127.0.0.1",
      PORT: String(port),
      PUBLIC_URL: url,
      DATABASE_URL: t.databaseUrl,
      TEMPORAL_ADDRESS: inject("temporalAddress"),
      LOCAL_OAUTH_URL: oauth.url,
      SESSION_SECRET: "multi-process-test-session-secret-0123456789",
      TOMBSTONE_SECRET: "multi-process-test-tombstone-secret-0123456789",
    },
    stdio: ["ignore", "pipe", "pipe"],
  });
  child.stdout?.on("data", (c) => output.push(String(c)));
  child.stderr?.on("data", (c) => output.push(String(c)));
  const web = { url, child, output };
  webs.push(web);
  await expect
    .poll(async () => (await fetch(`${url}/healthz`).catch(() => null))?.status, { timeout: 30_000, interval: 100 })
    .toBe(200);
  return web;
}

beforeAll(async () => {
  oauth = await startLocalOAuthServer({ port: 0, demoIdentities: [] });
});
afterAll(async () => {
  for (const w of webs) w.child.kill("SIGTERM");
  await Promise.all(webs.map((w) => new Promise((r) => (w.child.exitCode !== null ? r(null) : w.child.once("exit", r)))));
  await oauth?.stop();
});

const status = async (web: { url: string }, key: string) =>
  (await fetch(`${web.url}/v1/account`, { headers: { Authorization: `Bearer ${key}` } })).status;

describe("revocation across web processes", () => {
  it("a key regenerated through web A gets 401 from web B within a second", async () => {
    const [a, b] = await Promise.all([startWeb(), startWeb()]);
    const person = new UserAgent(a.url);
    const welcome = await person.signIn("github", { email: "two-procs@example.com" });
    const oldKey = /tgp_v1_[A-Za-z0-9_-]{43}/.exec(welcome.body)?.[0];
    expect(oldKey, "the welcome page shows the new account's main key").toBeDefined();
    // Both processes now hold the key as valid in their caches.
    expect(await status(a, oldKey!)).toBe(200);
    expect(await status(b, oldKey!)).toBe(200);

    const regenerated = await person.submit("/settings/api-keys", "/settings/api-keys", { intent: "regenerate" });
    const revokedAt = Date.now();
    const newKey = /tgp_v1_[A-Za-z0-9_-]{43}/.exec(regenerated.body)?.[0];
    expect(newKey).toBeDefined();
    expect(newKey).not.toBe(oldKey);

    expect(await status(a, oldKey!)).toBe(401); // the process that revoked: at once
    await expect.poll(() => status(b, oldKey!), { timeout: 1000, interval: 5 }).toBe(401);
    const elapsed = Date.now() - revokedAt;
    expect(elapsed).toBeLessThan(1000);
    expect(await status(b, newKey!)).toBe(200);
    expect(webs.flatMap((w) => w.output).join("")).not.toContain("two-procs@example.com");
  });
});
