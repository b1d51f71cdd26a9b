/**
 * The security headers of every answer (app/http/security-headers.ts applied
 * in server/http-app.ts): a nonce-based Content-Security-Policy that Chromium
 * enforces and reports, no framing, no sniffing, referrer and permissions
 * policies, COOP, HSTS over https, and no-store on every page that shows
 * personal data or keys.
 */
import type { Browser } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { chromiumPath, launchChromium } from "../helpers/chromium.js";
import { startTestApp } from "../helpers/app.js";
import { seedStaffOfEachRole, staffAgent } from "../helpers/staff.js";
import { useSuite } from "../helpers/suite.js";
import { UserAgent } from "../helpers/user-agent.js";

const t = useSuite({ app: true });

/** A document load, as a browser sends it. */
const asDocument = { "Sec-Fetch-Dest": "document", "Sec-Fetch-Mode": "navigate" };

async function get(path: string, init: RequestInit = {}) {
  const res = await fetch(`${t.app.url}${path}`, { redirect: "manual", ...init, headers: { ...asDocument, ...init.headers } });
  return { status: res.status, headers: res.headers, body: await res.text() };
}

/** The policy as directive → sources. */
function csp(headers: Headers): Map<string, string[]> {
  const value = headers.get("content-security-policy");
  if (!value) throw new Error("no Content-Security-Policy");
  return new Map(
    value
      .split(";")
      .map((d) => d.trim().split(/\s+/))
      .filter((d) => d[0])
      .map(([name, ...sources]) => [name, sources]),
  );
}

/** Pages and refusals of every kind the web process gives. */
const SAMPLES: { what: string; path: string; init?: RequestInit; status: number }[] = [
  { what: "start page", path: "/", status: 200 },
  { what: "sign-in page", path: "/login", status: 200 },
  { what: "404 error page", path: "/no-such-page", status: 404 },
  {
    what: "error page of a refused form (CSRF)",
    path: "/logout",
    init: { method: "POST", headers: { "Content-Type": "application/x-www-form-urlencoded" }, body: "csrf=forged" },
    status: 403,
  },
  { what: "refusal before Remix (unknown method)", path: "/", init: { method: "PROPFIND" }, status: 405 },
  { what: "refusal before Remix (body too large)", path: "/csp-report", init: { method: "POST", body: "x".repeat(17 * 1024) }, status: 413 },
  { what: "resource route", path: "/healthz", status: 200 },
];

beforeAll(async () => {
  // A real file from the build (its name changes with every build).
  const script = /<script[^>]+src="(\/build\/[^"]+\.js)"/.exec((await get("/login")).body) ?? /href="(\/build\/[^"]+\.js)"/.exec((await get("/login")).body);
  if (!script) throw new Error("no script file in the sign-in page");
  SAMPLES.push({ what: "static file", path: script[1], status: 200 });
});

describe("Content-Security-Policy", () => {
  it("V3.4.3 every page and error page has a strict policy: nonce for scripts, no unsafe-inline/unsafe-eval scripts, object-src and base-uri 'none'", async () => {
    for (const s of SAMPLES) {
      const res = await get(s.path, s.init);
      expect(res.status, s.what).toBe(s.status);
      const policy = csp(res.headers);
      const scripts = policy.get("script-src") ?? [];
      expect(scripts, s.what).toContain("'self'");
      expect(
        scripts.some((src) => /^'nonce-[A-Za-z0-9+/]{22}=='$/.test(src)),
        s.what,
      ).toBe(true);
      expect(scripts, s.what).not.toContain("'unsafe-inline'");
      expect(scripts, s.what).not.toContain("'unsafe-eval'");
      expect(policy.get("script-src-attr"), s.what).toEqual(["'none'"]);
      expect(policy.get("object-src"), s.what).toEqual(["'none'"]);
      expect(policy.get("base-uri"), s.what).toEqual(["'none'"]);
      expect(policy.get("default-src"), s.what).toEqual(["'self'"]);
      // Styles: files only; attributes (React style={{…}}) may be inline, <style> elements may not.
      expect(policy.get("style-src-elem"), s.what).toEqual(["'self'"]);
      expect(policy.get("style-src-attr"), s.what).toEqual(["'unsafe-inline'"]);
    }
  });

  it("V3.4.3 the nonce is new on every request and every script in the page carries it (Remix's inline scripts included)", async () => {
    const first = await get("/login");
    const second = await get("/login");
    const nonceOf = (h: Headers) => /'nonce-([^']+)'/.exec(h.get("content-security-policy") ?? "")?.[1];
    expect(nonceOf(first.headers)).toBeTruthy();
    expect(nonceOf(first.headers)).not.toBe(nonceOf(second.headers));
    const scripts = [...first.body.matchAll(/<script\b[^>]*>/g)].map((m) => m[0]);
    expect(scripts.length).toBeGreaterThan(1);
    for (const tag of scripts) expect(tag).toContain(`nonce="${nonceOf(first.headers)}"`);
    // The error page too (the root ErrorBoundary renders the same Layout).
    const missing = await get("/no-such-page");
    const missingScripts = [...missing.body.matchAll(/<script\b[^>]*>/g)].map((m) => m[0]);
    expect(missingScripts.length).toBeGreaterThan(1);
    for (const tag of missingScripts) expect(tag).toContain(`nonce="${nonceOf(missing.headers)}"`);
  });

  it("V3.4.6 frame-ancestors 'none' (and X-Frame-Options DENY for old browsers) on every answer", async () => {
    for (const s of SAMPLES) {
      const res = await get(s.path, s.init);
      expect(csp(res.headers).get("frame-ancestors"), s.what).toEqual(["'none'"]);
      expect(res.headers.get("x-frame-options"), s.what).toBe("DENY");
    }
  });

  it("V3.4.7 the policy names a report location, and /csp-report takes a report without storing it", async () => {
    const res = await get("/login");
    expect(csp(res.headers).get("report-uri")).toEqual(["/csp-report"]);
    const warn = vi.spyOn(t.app.services.logger, "warn");
    try {
      const report = await fetch(`${t.app.url}/csp-report`, {
        method: "POST",
        headers: { "Content-Type": "application/csp-report" },
        body: JSON.stringify({
          "csp-report": {
            "document-uri": `${t.app.url}/invitations/secret-token`,
            "effective-directive": "script-src-elem",
            "blocked-uri": "https://evil.example/x.js?token=secret",
          },
        }),
      });
      expect(report.status).toBe(204);
      expect(warn).toHaveBeenCalledTimes(1);
      const [fields, message] = warn.mock.calls[0] as unknown as [Record<string, unknown>, string];
      expect(message).toBe("csp violation reported");
      expect(fields).toMatchObject({ directive: "script-src-elem", blocked: "url" });
      // Neither the page (a token in its path) nor the blocked URL is logged.
      expect(JSON.stringify(fields)).not.toContain("secret");
      expect((await fetch(`${t.app.url}/csp-report`, { method: "POST", body: "not json" })).status).toBe(400);
    } finally {
      warn.mockRestore();
    }
  });
});

describe("other headers", () => {
  it("V3.4.4 X-Content-Type-Options: nosniff on every answer, the API's included", async () => {
    for (const s of SAMPLES) expect((await get(s.path, s.init)).headers.get("x-content-type-options"), s.what).toBe("nosniff");
    for (const path of ["/v1/account", "/v1/nothing-here"]) {
      expect((await get(path)).headers.get("x-content-type-options"), path).toBe("nosniff");
    }
  });

  it("V3.4.5 Referrer-Policy: same-origin, and strict-origin on pages whose URL is a secret from a mail", async () => {
    expect((await get("/login")).headers.get("referrer-policy")).toBe("same-origin");
    expect((await get("/no-such-page")).headers.get("referrer-policy")).toBe("same-origin");
    for (const path of ["/unsubscribe/x", "/confirm-transfer/x", "/invitations/x"]) {
      expect((await get(path)).headers.get("referrer-policy"), path).toBe("strict-origin");
    }
  });

  it("V3.4.8 Cross-Origin-Opener-Policy: same-origin on documents, error pages included", async () => {
    for (const path of ["/", "/login", "/no-such-page"]) {
      expect((await get(path)).headers.get("cross-origin-opener-policy"), path).toBe("same-origin");
    }
  });

  it("V3.2.1 Permissions-Policy denies the powerful features no page uses, and Cross-Origin-Resource-Policy keeps answers to this origin", async () => {
    const res = await get("/login");
    const policy = res.headers.get("permissions-policy") ?? "";
    for (const feature of ["camera", "microphone", "geolocation", "payment", "usb"]) expect(policy).toContain(`${feature}=()`);
    expect(res.headers.get("cross-origin-resource-policy")).toBe("same-origin");
  });

  it("V3.4.1 no HSTS over plain http; over https (PUBLIC_URL) max-age one year with includeSubDomains on every answer, /v1 included", async () => {
    expect((await get("/login")).headers.get("strict-transport-security")).toBeNull();
    const https = await startTestApp({
      db: t.db,
      databaseUrl: t.databaseUrl,
      temporal: t.temporal.client,
      taskQueue: t.temporal.taskQueue,
      env: { PUBLIC_URL: "https://switchboard.example" },
    });
    try {
      for (const path of ["/login", "/no-such-page", "/v1/account", "/healthz"]) {
        const res = await fetch(`${https.url}${path}`, { redirect: "manual" });
        expect(res.headers.get("strict-transport-security"), path).toBe("max-age=31536000; includeSubDomains");
      }
      expect(csp((await fetch(`${https.url}/login`)).headers).has("upgrade-insecure-requests")).toBe(true);
    } finally {
      await https.stop();
    }
  });
});

describe("Cache-Control: no-store", () => {
  it("V14.3.2 every settings page, the data export and the start page of a signed-in customer are never stored", async () => {
    const ua = new UserAgent(t.app.url);
    await ua.signIn("google", { email: "headers-customer@example.com" });
    for (const path of [
      "/",
      "/settings/profile",
      "/settings/api-keys",
      "/settings/billing",
      "/settings/email",
      "/settings/notifications",
      "/settings/sessions",
      "/settings/members",
      "/settings/delete-account",
      "/settings/profile/data",
    ]) {
      const res = await fetch(`${t.app.url}${path}`, { headers: { ...asDocument, Cookie: ua.cookieHeader(t.app.url) }, redirect: "manual" });
      await res.arrayBuffer();
      expect(res.status, path).toBeLessThan(500);
      expect(res.headers.get("cache-control"), path).toBe("no-store");
    }
  });

  it("V14.3.2 console pages are never stored", async () => {
    await seedStaffOfEachRole(t.db);
    const staff = await staffAgent(t.app.url, "admin");
    for (const path of ["/console", "/console/accounts", "/console/tickets", "/console/mail", "/console/audit", "/console/staff", "/console/workflows"]) {
      const res = await fetch(`${t.app.url}${path}`, { headers: { ...asDocument, Cookie: staff.cookieHeader(t.app.url) }, redirect: "manual" });
      await res.arrayBuffer();
      expect(res.status, path).toBe(200);
      expect(res.headers.get("cache-control"), path).toBe("no-store");
    }
  });

  it("V14.3.2 pages reached from a mail link, the password sign-in and their refusals are never stored", async () => {
    for (const path of ["/unsubscribe/not-a-token", "/confirm-transfer/not-a-token", "/invitations/not-a-token", "/login/password", "/settings/api-keys"]) {
      expect((await get(path)).headers.get("cache-control"), path).toBe("no-store");
    }
  });

  it("V14.3.2 the API's answers are never stored", async () => {
    for (const path of ["/v1/account", "/v1/nothing-here"]) expect((await get(path)).headers.get("cache-control"), path).toBe("no-store");
  });
});

describe.skipIf(!chromiumPath)("the policy in Chromium", () => {
  let browser: Browser;
  beforeAll(async () => {
    browser = await launchChromium();
  });
  afterAll(() => browser?.close());

  it("V3.4.3 a page runs Remix's own scripts under the policy with no violation, and a script without the nonce is refused and reported", async () => {
    const warn = vi.spyOn(t.app.services.logger, "warn");
    const context = await browser.newContext();
    const page = await context.newPage();
    const consoleErrors: string[] = [];
    page.on("console", (m) => m.type() === "error" && consoleErrors.push(m.text()));
    try {
      await page.goto(`${t.app.url}/login`);
      // Hydrated: Remix's entry ran, so its nonce'd inline module script was allowed.
      await expect.poll(() => page.evaluate(() => "__remixRouter" in window)).toBe(true);
      expect(consoleErrors).toEqual([]);
      expect(warn.mock.calls.filter((c) => c[1] === "csp violation reported")).toEqual([]);

      const violation = page.evaluate(
        () =>
          new Promise<string>((resolve) => {
            document.addEventListener("securitypolicyviolation", (e) => resolve(e.effectiveDirective), { once: true });
            const s = document.createElement("script");
            s.textContent = "window.__injected = true";
            document.head.append(s);
            // An allowed inline script runs as it is inserted: then there is no violation to wait for.
            if ("__injected" in window) resolve("none: the script ran");
          }),
      );
      expect(await violation).toBe("script-src-elem");
      expect(await page.evaluate(() => "__injected" in window)).toBe(false);
      expect(consoleErrors.join("\n")).toContain("Content Security Policy");
      // The browser's report reaches /csp-report (sent at once for report-uri).
      await expect
        .poll(() => warn.mock.calls.filter((c) => c[1] === "csp violation reported").map((c) => (c[0] as { directive?: string }).directive), {
          timeout: 10_000,
        })
        .toContain("script-src-elem");
    } finally {
      warn.mockRestore();
      await context.close();
    }
  });
});
