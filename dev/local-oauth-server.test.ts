/**
 * Drives the local OAuth stand-in the way a browser and the app's strategies
 * would: plain fetch with manual redirects, the picker's own hidden fields
 * posted back, and the real remix-auth strategies doing the whole dance.
 */
import { createHash, createPublicKey, verify, type JsonWebKey } from "node:crypto";
import { createCookieSessionStorage } from "@remix-run/node";
import { GitHubStrategy } from "remix-auth-github";
import { GoogleStrategy } from "remix-auth-google";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { GoogleOidcStrategy, localGoogleEndpoints } from "../app/auth/google-oidc.server.js";
import { localSubject, startLocalOAuthServer, type LocalOAuthServer } from "./local-oauth-server.js";

type Provider = "google" | "github";

const ADA = { email: "ada@example.com", name: "Ada Lovelace" };
const BOB = { email: "bob@example.com", name: "Bob <Unverified>", emailVerified: false };
const CLIENT_ID = "switchboard-test";
const REDIRECT_URI = "http://localhost:3999/auth/callback?from=test";
const STATE = `st"ate <&> ${"x".repeat(20)}`;

const PATHS = {
  google: { authorize: "/google/authorize", token: "/google/token" },
  github: { authorize: "/github/login/oauth/authorize", token: "/github/login/oauth/access_token" },
} as const;

let server: LocalOAuthServer;

beforeAll(async () => {
  server = await startLocalOAuthServer({ port: 0, demoIdentities: [ADA, BOB] });
});

afterAll(async () => {
  await server?.stop();
});

function authorizeQuery(overrides: Record<string, string | undefined> = {}): URLSearchParams {
  const params: Record<string, string | undefined> = {
    response_type: "code",
    client_id: CLIENT_ID,
    redirect_uri: REDIRECT_URI,
    state: STATE,
    scope: "openid email profile",
    ...overrides,
  };
  return new URLSearchParams(Object.entries(params).filter((e): e is [string, string] => e[1] !== undefined));
}

function unescapeHtml(value: string): string {
  return value.replaceAll("&quot;", '"').replaceAll("&#39;", "'").replaceAll("&lt;", "<").replaceAll("&gt;", ">").replaceAll("&amp;", "&");
}

/** The hidden fields of the picker's first form, i.e. what a browser would post back. */
function hiddenFields(html: string): URLSearchParams {
  const form = /<form[^>]*>([\s\S]*?)<\/form>/.exec(html)?.[1] ?? "";
  const fields = new URLSearchParams();
  for (const m of form.matchAll(/<input type="hidden" name="([^"]+)" value="([^"]*)">/g)) {
    fields.append(m[1]!, unescapeHtml(m[2]!));
  }
  return fields;
}

async function openPicker(provider: Provider, query = authorizeQuery()) {
  const res = await fetch(`${server.url}${PATHS[provider].authorize}?${query}`, { redirect: "manual" });
  return { res, html: await res.text() };
}

/** GET the picker, then submit it with `choice` (and any typed fields). */
async function choose(provider: Provider, choice: string, extra: Record<string, string> = {}, query = authorizeQuery()) {
  const { res, html } = await openPicker(provider, query);
  expect(res.status).toBe(200);
  const body = hiddenFields(html);
  body.set("choice", choice);
  for (const [key, value] of Object.entries(extra)) body.set(key, value);
  return fetch(`${server.url}${PATHS[provider].authorize}`, { method: "POST", body, redirect: "manual" });
}

async function codeFor(provider: Provider, choice: string, extra: Record<string, string> = {}, query = authorizeQuery()) {
  const res = await choose(provider, choice, extra, query);
  expect(res.status).toBe(302);
  const location = new URL(res.headers.get("location")!);
  expect(`${location.origin}${location.pathname}`).toBe("http://localhost:3999/auth/callback");
  expect(location.searchParams.get("from")).toBe("test");
  expect(location.searchParams.get("state")).toBe(STATE);
  const code = location.searchParams.get("code");
  expect(code).toMatch(/^[A-Za-z0-9_-]{40,}$/);
  return code!;
}

function exchange(provider: Provider, code: string, overrides: Record<string, string> = {}) {
  return fetch(`${server.url}${PATHS[provider].token}`, {
    method: "POST",
    body: new URLSearchParams({
      grant_type: "authorization_code",
      code,
      redirect_uri: REDIRECT_URI,
      client_id: CLIENT_ID,
      client_secret: "anything",
      ...overrides,
    }),
  });
}

async function accessToken(provider: Provider, code: string): Promise<string> {
  const res = await exchange(provider, code);
  expect(res.status).toBe(200);
  return ((await res.json()) as { access_token: string }).access_token;
}

const getJson = async (path: string, authorization: string) => {
  const res = await fetch(`${server.url}${path}`, { headers: { authorization } });
  return { status: res.status, body: (await res.json()) as any };
};

describe("localSubject", () => {
  it("is deterministic, case-insensitive and provider-shaped", () => {
    const google = localSubject("google", ADA.email);
    const github = localSubject("github", ADA.email);
    expect(google).toMatch(/^\d{21}$/);
    expect(github).toMatch(/^[1-9]\d*$/);
    expect(Number(github)).toBeLessThan(2 ** 31);
    expect(localSubject("google", "ADA@Example.com")).toBe(google);
    expect(localSubject("google", BOB.email)).not.toBe(google);
    for (let i = 0; i < 200; i++) {
      expect(localSubject("google", `u${i}@x.test`)).toMatch(/^\d{21}$/);
      const id = Number(localSubject("github", `u${i}@x.test`));
      expect(id > 0 && id < 2 ** 31 && Number.isInteger(id)).toBe(true);
    }
  });
});

describe("Google flavour", () => {
  it("does the full dance for a demo identity, with a verifiable id_token", async () => {
    const { res, html } = await openPicker("google", authorizeQuery({ nonce: "n-123" }));
    expect(res.status).toBe(200);
    expect(res.headers.get("content-type")).toMatch(/^text\/html/);
    expect(html).toContain("Local Google sign-in (development stand-in)");
    expect(html).toContain(ADA.name);
    expect(html).toContain(ADA.email);
    expect(html).toContain("Bob &lt;Unverified&gt;"); // escaped, never raw
    expect(html).not.toContain("<Unverified>");
    expect(html).not.toContain(STATE); // state contains <&> and quotes: must be escaped
    expect(html).toMatch(/<label for="email">Email<\/label>/);
    expect(html).toMatch(/<input type="checkbox" name="email_verified" value="true" checked>/);
    expect(html).toContain('value="cancel">Cancel</button>');

    const code = await codeFor("google", "demo:0", {}, authorizeQuery({ nonce: "n-123" }));
    const tokenRes = await exchange("google", code);
    expect(tokenRes.status).toBe(200);
    const tokens = (await tokenRes.json()) as Record<string, unknown>;
    expect(tokens).toMatchObject({ token_type: "Bearer", expires_in: 3600, scope: "openid email profile" });
    expect(typeof tokens.access_token).toBe("string");

    const sub = localSubject("google", ADA.email);
    const info = await getJson("/google/userinfo", `Bearer ${tokens.access_token}`);
    expect(info.status).toBe(200);
    expect(info.body).toEqual({
      sub,
      email: ADA.email,
      email_verified: true,
      name: "Ada Lovelace",
      given_name: "Ada",
      family_name: "Lovelace",
      picture: expect.stringMatching(new RegExp(`^${server.url}/avatars/google-${sub}\\.svg$`)),
    });
    const avatar = await fetch(info.body.picture);
    expect(avatar.headers.get("content-type")).toMatch(/^image\/svg\+xml/);
    await avatar.arrayBuffer();

    // The id_token is signed by the key published in the discovery document's JWKS.
    const discovery = (await (await fetch(`${server.url}/google/.well-known/openid-configuration`)).json()) as any;
    expect(discovery).toMatchObject({
      issuer: `${server.url}/google`,
      token_endpoint: `${server.url}/google/token`,
      userinfo_endpoint: `${server.url}/google/userinfo`,
    });
    const jwks = (await (await fetch(discovery.jwks_uri)).json()) as { keys: JsonWebKey[] };
    expect(jwks.keys[0]).not.toHaveProperty("d"); // never the private half
    const [header, payload, signature] = String(tokens.id_token).split(".");
    const key = createPublicKey({ key: jwks.keys[0]!, format: "jwk" });
    expect(verify("sha256", Buffer.from(`${header}.${payload}`), key, Buffer.from(signature!, "base64url"))).toBe(true);
    expect(JSON.parse(Buffer.from(payload!, "base64url").toString())).toMatchObject({
      iss: `${server.url}/google`,
      aud: CLIENT_ID,
      sub,
      email: ADA.email,
      email_verified: true,
      nonce: "n-123",
    });
  });

  it("reports a typed, unverified email as email_verified false", async () => {
    const code = await codeFor("google", "custom", { email: "  Typed@Example.org ", name: "" });
    const info = await getJson("/google/userinfo", `Bearer ${await accessToken("google", code)}`);
    expect(info.body).toMatchObject({
      sub: localSubject("google", "typed@example.org"),
      email: "Typed@Example.org",
      email_verified: false,
      name: "Typed",
    });
  });
});

describe("GitHub flavour", () => {
  it("does the full dance for a demo identity", async () => {
    const { res, html } = await openPicker("github", authorizeQuery({ response_type: undefined, scope: "user:email" }));
    expect(res.status).toBe(200);
    expect(html).toContain("Local GitHub sign-in (development stand-in)");
    expect(html).toContain(ADA.email);

    const code = await codeFor("github", "demo:0", {}, authorizeQuery({ scope: "read:user user:email" }));
    // GitHub answers JSON even when asked for something else.
    const tokenRes = await fetch(`${server.url}${PATHS.github.token}`, {
      method: "POST",
      headers: { accept: "text/html", "content-type": "application/json" },
      body: JSON.stringify({ code, redirect_uri: REDIRECT_URI, client_id: CLIENT_ID, client_secret: "x", grant_type: "authorization_code" }),
    });
    expect(tokenRes.status).toBe(200);
    expect(tokenRes.headers.get("content-type")).toMatch(/^application\/json/);
    const tokens = (await tokenRes.json()) as { access_token: string };
    expect(tokens).toMatchObject({ token_type: "bearer", scope: "read:user,user:email" });

    const id = localSubject("github", ADA.email);
    const user = await getJson("/github/user", `token ${tokens.access_token}`);
    expect(user.status).toBe(200);
    expect(user.body).toEqual({
      id: Number(id),
      login: "ada",
      name: ADA.name,
      email: ADA.email,
      avatar_url: `${server.url}/avatars/github-${id}.svg`,
    });
    const emails = await getJson("/github/user/emails", `Bearer ${tokens.access_token}`);
    expect(emails.body).toEqual([{ email: ADA.email, verified: true, primary: true, visibility: "private" }]);
  });

  it("reports an unverified email as verified false and /user email null", async () => {
    for (const [choice, extra, email] of [
      ["custom", { email: "eve@example.net", name: "Eve" }, "eve@example.net"],
      ["demo:1", {}, BOB.email],
    ] as const) {
      const token = await accessToken("github", await codeFor("github", choice, extra));
      const user = await getJson("/github/user", `Bearer ${token}`);
      expect(user.body.email).toBeNull();
      expect(user.body.id).toBe(Number(localSubject("github", email)));
      const emails = await getJson("/github/user/emails", `token ${token}`);
      expect(emails.body).toEqual([{ email, verified: false, primary: true, visibility: "private" }]);
    }
  });
});

describe.each(["google", "github"] as const)("%s: refusals", (provider) => {
  const userinfo = provider === "google" ? "/google/userinfo" : "/github/user";

  it("accepts a code once only", async () => {
    const code = await codeFor(provider, "demo:0");
    expect((await exchange(provider, code)).status).toBe(200);
    const again = await exchange(provider, code);
    expect(again.status).toBe(400);
    expect(await again.json()).toEqual({ error: "invalid_grant" });
    expect((await exchange(provider, "made-up-code")).status).toBe(400);
  });

  it("binds the code to the redirect_uri and client_id that asked", async () => {
    const wrongRedirect = await exchange(provider, await codeFor(provider, "demo:0"), {
      redirect_uri: "http://localhost:3999/auth/callback",
    });
    expect(wrongRedirect.status).toBe(400);
    expect(await wrongRedirect.json()).toEqual({ error: "invalid_grant" });

    const wrongClient = await exchange(provider, await codeFor(provider, "demo:0"), { client_id: "someone-else" });
    expect(wrongClient.status).toBe(400);

    // A code from the other flavour is unknown here.
    const other = provider === "google" ? "github" : "google";
    expect((await exchange(provider, await codeFor(other, "demo:0"))).status).toBe(400);
  });

  it("expires codes after 5 minutes", async () => {
    const code = await codeFor(provider, "demo:0");
    vi.useFakeTimers({ toFake: ["Date"] });
    try {
      vi.setSystemTime(Date.now() + 5 * 60 * 1000 + 1);
      expect((await exchange(provider, code)).status).toBe(400);
    } finally {
      vi.useRealTimers();
    }
  });

  it("checks PKCE when the authorize request had a challenge", async () => {
    const verifier = "v".repeat(43);
    const challenge = createHash("sha256").update(verifier).digest("base64url");
    const query = authorizeQuery({ code_challenge: challenge, code_challenge_method: "S256" });
    expect((await exchange(provider, await codeFor(provider, "demo:0", {}, query))).status).toBe(400);
    const bad = await exchange(provider, await codeFor(provider, "demo:0", {}, query), { code_verifier: "w".repeat(43) });
    expect(bad.status).toBe(400);
    const good = await exchange(provider, await codeFor(provider, "demo:0", {}, query), { code_verifier: verifier });
    expect(good.status).toBe(200);
  });

  it("refuses bad authorize requests with a 400 page and no redirect", async () => {
    const cases: [Record<string, string | undefined>, RegExp][] = [
      [{ redirect_uri: "javascript:alert(1)" }, /redirect_uri must be an absolute http\(s\) URL/],
      [{ redirect_uri: "/relative/callback" }, /redirect_uri must be an absolute http\(s\) URL/],
      [{ redirect_uri: "http://localhost:3999/cb#frag" }, /redirect_uri/],
      [{ redirect_uri: undefined }, /Missing redirect_uri/],
      [{ state: undefined }, /Missing state/],
      [{ client_id: undefined }, /Missing client_id/],
      [{ client_id: "" }, /Missing client_id/],
    ];
    for (const [overrides, message] of cases) {
      const { res, html } = await openPicker(provider, authorizeQuery(overrides));
      expect(res.status).toBe(400);
      expect(res.headers.get("location")).toBeNull();
      expect(res.headers.get("content-type")).toMatch(/^text\/html/);
      expect(html).toMatch(message);
    }
    // A forged form post is validated just the same.
    const forged = await fetch(`${server.url}${PATHS[provider].authorize}`, {
      method: "POST",
      body: new URLSearchParams({ client_id: CLIENT_ID, state: STATE, response_type: "code", redirect_uri: "data:text/html,hi", choice: "demo:0" }),
      redirect: "manual",
    });
    expect(forged.status).toBe(400);
    expect(forged.headers.get("location")).toBeNull();
    // Repeated parameters are ambiguous, so refused too.
    const repeated = authorizeQuery();
    repeated.append("state", "second");
    expect((await openPicker(provider, repeated)).res.status).toBe(400);
  });

  it("re-shows the picker with a message for an invalid typed email", async () => {
    const res = await choose(provider, "custom", { email: "not-an-email<b>", name: "Mallory" });
    expect(res.status).toBe(400);
    expect(res.headers.get("location")).toBeNull();
    const html = await res.text();
    expect(html).toContain('role="alert"');
    expect(html).toContain("not a valid email address");
    expect(html).toContain('value="not-an-email&lt;b&gt;"');
    expect(html).not.toContain("<b>");
  });

  it("answers 401 for an unknown access token", async () => {
    const res = await fetch(`${server.url}${userinfo}`, { headers: { authorization: "Bearer nope" } });
    expect(res.status).toBe(401);
    expect((await fetch(`${server.url}${userinfo}`)).status).toBe(401);
    if (provider === "github") {
      expect((await fetch(`${server.url}/github/user/emails`, { headers: { authorization: "token nope" } })).status).toBe(401);
    }
  });

  it("redirects with access_denied on cancel", async () => {
    const res = await choose(provider, "cancel");
    expect(res.status).toBe(302);
    const location = new URL(res.headers.get("location")!);
    expect(location.pathname).toBe("/auth/callback");
    expect(location.searchParams.get("error")).toBe("access_denied");
    expect(location.searchParams.get("state")).toBe(STATE);
    expect(location.searchParams.has("code")).toBe(false);
  });
});

describe("the app's real strategies", () => {
  const sessionStorage = createCookieSessionStorage({ cookie: { name: "oauth", secrets: ["test-secret"], path: "/" } });
  const authOptions = { name: "x", sessionKey: "user", sessionErrorKey: "error", sessionStrategyKey: "strategy", throwOnError: true };

  /** Runs `authenticate` once expecting a redirect; returns its Location and cookie. */
  async function startAuth(authenticate: (request: Request) => Promise<unknown>, url: string) {
    const thrown = await authenticate(new Request(url)).then(
      () => expect.fail("expected a redirect"),
      (e: unknown) => e,
    );
    expect(thrown).toBeInstanceOf(Response);
    const response = thrown as Response;
    expect(response.status).toBe(302);
    return { location: response.headers.get("location")!, cookie: response.headers.get("set-cookie")!.split(";")[0]! };
  }

  /** What a person does in the browser: open the picker and click the first demo account. */
  async function pickFirstDemo(authorizeUrl: string) {
    const page = await fetch(authorizeUrl, { redirect: "manual" });
    expect(page.status).toBe(200);
    const body = hiddenFields(await page.text());
    body.set("choice", "demo:0");
    const picked = await fetch(new URL(authorizeUrl).origin + new URL(authorizeUrl).pathname, { method: "POST", body, redirect: "manual" });
    expect(picked.status).toBe(302);
    return picked.headers.get("location")!;
  }

  it("remix-auth-github 2.0.0 signs in against the GitHub flavour", async () => {
    const strategy = new GitHubStrategy(
      {
        clientId: CLIENT_ID,
        clientSecret: "secret",
        redirectURI: "http://localhost:3999/auth/github/callback",
        scopes: ["user:email"],
        authorizationEndpoint: `${server.url}/github/login/oauth/authorize`,
        tokenEndpoint: `${server.url}/github/login/oauth/access_token`,
        userInfoEndpoint: `${server.url}/github/user`,
        userEmailsEndpoint: `${server.url}/github/user/emails`,
      },
      async ({ profile }) => profile,
    );
    const authenticate = (request: Request) => strategy.authenticate(request, sessionStorage, authOptions);
    const { location, cookie } = await startAuth(authenticate, "http://localhost:3999/auth/github");
    expect(new URL(location).searchParams.get("code_challenge_method")).toBe("S256");
    const callback = await pickFirstDemo(location);
    const profile = await authenticate(new Request(callback, { headers: { cookie } }));
    expect(profile).toMatchObject({
      provider: "github",
      id: localSubject("github", ADA.email),
      emails: [{ value: ADA.email, type: "primary" }],
    });
  });

  it("remix-auth-google 2.0.0 signs in against the Google flavour", async () => {
    const strategy = new GoogleStrategy(
      { clientID: CLIENT_ID, clientSecret: "secret", callbackURL: "http://localhost:3999/auth/google/callback", prompt: "select_account" },
      async ({ profile }) => profile,
    );
    // GoogleStrategy hard-codes Google's URLs; the app re-points them the same way.
    Object.assign(strategy, {
      authorizationURL: `${server.url}/google/authorize`,
      tokenURL: `${server.url}/google/token`,
      userInfoURL: `${server.url}/google/userinfo`,
    });
    const authenticate = (request: Request) => strategy.authenticate(request, sessionStorage, authOptions);
    const { location, cookie } = await startAuth(authenticate, "http://localhost:3999/auth/google");
    const callback = await pickFirstDemo(location);
    const profile = await authenticate(new Request(callback, { headers: { cookie } }));
    expect(profile).toMatchObject({
      provider: "google",
      id: localSubject("google", ADA.email),
      emails: [{ value: ADA.email }],
      _json: { email_verified: true },
    });
  });
});

describe("the app's Google strategy (PKCE, nonce, verified ID token)", () => {
  it("signs in against the Google flavour, checking the ID token against the JWKS served here", async () => {
    const strategy = new GoogleOidcStrategy(
      {
        clientID: CLIENT_ID,
        clientSecret: "secret",
        callbackURL: "http://localhost:3999/auth/google/callback",
        endpoints: localGoogleEndpoints(server.url),
      },
      async ({ profile }) => profile,
    );
    const sessionStorage = createCookieSessionStorage({ cookie: { name: "oauth", secrets: ["test-secret"], path: "/" } });
    const authOptions = { name: "x", sessionKey: "user", sessionErrorKey: "error", sessionStrategyKey: "strategy", throwOnError: true };
    const authenticate = (request: Request) => strategy.authenticate(request, sessionStorage, authOptions);
    const started = await authenticate(new Request("http://localhost:3999/auth/google")).then(
      () => expect.fail("expected a redirect"),
      (e: unknown) => e as Response,
    );
    const authorize = new URL(started.headers.get("location")!);
    expect(authorize.searchParams.get("code_challenge_method")).toBe("S256");
    expect(authorize.searchParams.get("nonce")).toMatch(/^[A-Za-z0-9_-]{43}$/);
    const page = await fetch(authorize, { redirect: "manual" });
    const body = hiddenFields(await page.text());
    body.set("choice", "demo:0");
    const picked = await fetch(authorize.origin + authorize.pathname, { method: "POST", body, redirect: "manual" });
    const cookie = started.headers.get("set-cookie")!.split(";")[0]!;
    const profile = await authenticate(new Request(picked.headers.get("location")!, { headers: { cookie } }));
    expect(profile).toMatchObject({ provider: "google", id: localSubject("google", ADA.email) });
  });
});

describe("stop()", () => {
  it("closes kept-alive sockets and refuses new connections", async () => {
    const other = await startLocalOAuthServer({ port: 0, host: "127.0.0.1", demoIdentities: [] });
    expect(other.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    const { res, html } = await (async () => {
      const r = await fetch(`${other.url}${PATHS.google.authorize}?${authorizeQuery()}`);
      return { res: r, html: await r.text() };
    })();
    expect(res.status).toBe(200);
    expect(html).toContain("No demo accounts are configured.");
    await other.stop();
    await other.stop(); // idempotent
    await expect(fetch(`${other.url}/google/jwks`)).rejects.toThrow();
  });

  it("rejects invalid demo identities at start-up", async () => {
    await expect(startLocalOAuthServer({ port: 0, demoIdentities: [{ email: "nope", name: "X" }] })).rejects.toThrow(/demoIdentities\[0\]/);
  });
});
