/**
 * What is enforced on sign-in with Google and GitHub (issue 14, finding 4),
 * by ASVS 5.0 requirement. Two levels:
 *
 * - over HTTP against the app and the local stand-in (dev/local-oauth-server.ts):
 *   what the authorize requests carry, and that the state cookie is gone after
 *   every callback;
 * - the app's Google strategy (app/auth/google-oidc.server.ts) against the
 *   stand-in with a token endpoint in between that re-signs the ID token as
 *   each case needs (its own JWKS), so every ID-token check is shown to refuse.
 */
import { createHash, generateKeyPairSync, type KeyObject } from "node:crypto";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { createCookieSessionStorage } from "@remix-run/node";
import { SignJWT, UnsecuredJWT, decodeJwt, exportJWK, type JWTPayload } from "jose";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { GOOGLE_PENDING_KEY, GoogleOidcStrategy, localGoogleEndpoints } from "../../app/auth/google-oidc.server.js";
import { localSubject, startLocalOAuthServer, type LocalOAuthServer } from "../../dev/local-oauth-server.js";
import { truncateAll } from "../helpers/database.js";
import { useSuite } from "../helpers/suite.js";
import { UserAgent } from "../helpers/user-agent.js";

const t = useSuite({ app: true });
beforeEach(async () => {
  await truncateAll(t.db);
});

/** The Set-Cookie values of a response, by cookie name. */
function setCookies(res: Response): Map<string, string> {
  return new Map(res.headers.getSetCookie().map((c) => [c.slice(0, c.indexOf("=")), c]));
}

function hiddenFields(html: string): URLSearchParams {
  const fields = new URLSearchParams();
  const form = /<form[^>]*>([\s\S]*?)<\/form>/.exec(html)?.[1] ?? "";
  for (const m of form.matchAll(/<input type="hidden" name="([^"]+)" value="([^"]*)">/g)) {
    fields.append(m[1]!, m[2]!.replaceAll("&quot;", '"').replaceAll("&#39;", "'").replaceAll("&lt;", "<").replaceAll("&gt;", ">").replaceAll("&amp;", "&"));
  }
  return fields;
}

/** At the stand-in: open the picker and sign in as `email`; returns the callback URL it redirects to. */
async function pick(authorizeUrl: string, email: string): Promise<string> {
  const page = await fetch(authorizeUrl, { redirect: "manual" });
  expect(page.status).toBe(200);
  const body = hiddenFields(await page.text());
  body.set("choice", "custom");
  body.set("email", email);
  body.set("name", "Ada Lovelace");
  body.set("email_verified", "true");
  const url = new URL(authorizeUrl);
  const res = await fetch(url.origin + url.pathname, { method: "POST", body, redirect: "manual" });
  expect(res.status).toBe(302);
  return res.headers.get("location")!;
}

describe("over HTTP: the app's sign-in", () => {
  /** Clicks "Sign in with <provider>" and returns the authorize URL the app sent the browser to. */
  async function start(ua: UserAgent, provider: "google" | "github"): Promise<URL> {
    const hop = await ua.submit("/login", `/auth/${provider}`);
    expect(hop.status).toBe(302);
    return new URL(hop.location!);
  }

  it("V10.2.1 PKCE: Google's and GitHub's authorize requests carry an S256 code challenge, fresh per sign-in", async () => {
    for (const provider of ["google", "github"] as const) {
      const first = await start(new UserAgent(t.app.url), provider);
      const second = await start(new UserAgent(t.app.url), provider);
      for (const url of [first, second]) {
        expect(url.searchParams.get("code_challenge_method"), provider).toBe("S256");
        expect(url.searchParams.get("code_challenge"), provider).toMatch(/^[A-Za-z0-9_-]{43}$/);
      }
      expect(first.searchParams.get("code_challenge")).not.toBe(second.searchParams.get("code_challenge"));
      expect(first.searchParams.get("state")).not.toBe(second.searchParams.get("state"));
    }
  });

  it("V10.5.1 nonce: Google's authorize request carries a nonce of 256 bits, fresh per sign-in", async () => {
    const first = await start(new UserAgent(t.app.url), "google");
    const second = await start(new UserAgent(t.app.url), "google");
    expect(first.searchParams.get("nonce")).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(first.searchParams.get("nonce")).not.toBe(second.searchParams.get("nonce"));
    expect(first.searchParams.get("scope")).toContain("openid");
  });

  it("V10.1.2 one transaction: the callback clears the state cookie (Max-Age=0) after a sign-in, for both providers", async () => {
    for (const provider of ["google", "github"] as const) {
      const ua = new UserAgent(t.app.url);
      const authorize = await start(ua, provider);
      expect(ua.hasCookie("sb_oauth")).toBe(true);
      const callback = await pick(authorize.toString(), `${provider}-clear@example.com`);
      const res = await fetch(callback, { headers: { cookie: ua.cookieHeader(callback) }, redirect: "manual" });
      expect(res.status, provider).toBe(302);
      expect(new URL(res.headers.get("location")!, t.app.url).pathname).not.toBe("/login"); // it did sign in
      const cleared = setCookies(res).get("sb_oauth");
      expect(cleared, provider).toMatch(/^sb_oauth=;/);
      expect(cleared).toMatch(/Max-Age=0/i);
      expect(cleared).toMatch(/Path=\/auth/);
      expect(cleared).toMatch(/HttpOnly/i);
    }
    expect(await t.db.selectFrom("sessions").select("id").execute()).toHaveLength(2);
  });

  it("V10.1.2 one transaction: a refused callback (forged state, provider error, bad code) clears the state cookie too", async () => {
    const paths = (authorize: URL) => [
      `/auth/google/callback?code=whatever&state=${"f".repeat(40)}`,
      `/auth/google/callback?error=access_denied&state=${authorize.searchParams.get("state")}`,
      `/auth/google/callback?code=made-up&state=${authorize.searchParams.get("state")}`,
      "/auth/google/callback",
    ];
    for (const i of [0, 1, 2, 3]) {
      const ua = new UserAgent(t.app.url);
      const authorize = await start(ua, "google");
      const path = paths(authorize)[i]!;
      const res = await fetch(`${t.app.url}${path}`, { headers: { cookie: ua.cookieHeader(t.app.url) }, redirect: "manual" });
      expect(res.status, path).toBe(302);
      expect(res.headers.get("location"), path).toMatch(/^\/login\?error=oauth/);
      expect(setCookies(res).get("sb_oauth"), path).toMatch(/^sb_oauth=;.*Max-Age=0/i);
    }
    expect(await t.db.selectFrom("sessions").select("id").execute()).toEqual([]);
  });
});

describe("the Google strategy's checks (PKCE, nonce, ID token)", () => {
  const CLIENT_ID = "switchboard-security-test";
  const APP = "http://localhost:3999";
  const storage = createCookieSessionStorage({ cookie: { name: "sb_oauth", secrets: ["security-test-secret"], path: "/auth", httpOnly: true } });
  const options = { name: "google", sessionKey: "user", sessionErrorKey: "error", sessionStrategyKey: "strategy", throwOnError: true };

  let standIn: LocalOAuthServer;
  let proxy: Server;
  let proxyUrl = "";
  const trusted = generateKeyPairSync("rsa", { modulusLength: 2048 });
  const stranger = generateKeyPairSync("rsa", { modulusLength: 2048 });
  /** How the token endpoint in the middle rewrites the ID token for the current case. */
  let rewrite: (claims: JWTPayload) => Promise<string>;
  /** The code_verifier the token endpoint in the middle last saw. */
  let seenVerifier: string | null = null;

  const sign = (claims: JWTPayload, key: KeyObject = trusted.privateKey, alg = "RS256") =>
    new SignJWT(claims).setProtectedHeader({ alg, kid: key === trusted.privateKey ? "trusted" : "stranger" }).sign(key);

  beforeAll(async () => {
    standIn = await startLocalOAuthServer({ port: 0, demoIdentities: [] });
    const jwk = { ...(await exportJWK(trusted.publicKey)), kid: "trusted", alg: "RS256", use: "sig" };
    proxy = createServer(async (req, res) => {
      if (req.url === "/jwks") {
        res.setHeader("content-type", "application/json").end(JSON.stringify({ keys: [jwk] }));
        return;
      }
      const chunks: Buffer[] = [];
      for await (const chunk of req) chunks.push(chunk as Buffer);
      const body = Buffer.concat(chunks).toString();
      seenVerifier = new URLSearchParams(body).get("code_verifier");
      // The real exchange happens at the stand-in, which checks the code, client and PKCE.
      const real = await fetch(`${standIn.url}/google/token`, { method: "POST", headers: { "content-type": req.headers["content-type"] ?? "" }, body });
      const json = (await real.json()) as Record<string, unknown>;
      if (real.ok) json.id_token = await rewrite({ ...decodeJwt(String(json.id_token)), iss: `${proxyUrl}/issuer` });
      res.statusCode = real.status;
      res.setHeader("content-type", "application/json").end(JSON.stringify(json));
    });
    await new Promise<void>((r) => proxy.listen(0, "127.0.0.1", r));
    proxyUrl = `http://127.0.0.1:${(proxy.address() as AddressInfo).port}`;
  });
  afterAll(async () => {
    proxy?.closeAllConnections();
    await new Promise<void>((r) => (proxy ? proxy.close(() => r()) : r()));
    await standIn?.stop();
  });
  beforeEach(() => {
    rewrite = (claims) => sign(claims);
  });

  function strategy() {
    return new GoogleOidcStrategy(
      {
        clientID: CLIENT_ID,
        clientSecret: "secret",
        callbackURL: `${APP}/auth/google/callback`,
        endpoints: { ...localGoogleEndpoints(standIn.url), token: `${proxyUrl}/token`, jwks: `${proxyUrl}/jwks`, issuers: [`${proxyUrl}/issuer`] },
      },
      async ({ profile }) => profile,
    );
  }

  /** The redirect to the provider that starting a sign-in throws. */
  const begin = (s: ReturnType<typeof strategy>) =>
    s.authenticate(new Request(`${APP}/auth/google`), storage, options).then(
      () => expect.fail("expected a redirect"),
      (e: unknown) => e as Response,
    );

  /** Start, pick at the stand-in, optionally tamper with the state cookie, then run the callback. */
  async function signIn(tamper?: (pending: Record<string, unknown>) => void, s = strategy()) {
    const started = await begin(s);
    const authorize = new URL(started.headers.get("location")!);
    let cookie = started.headers.get("set-cookie")!.split(";")[0]!;
    if (tamper) {
      const session = await storage.getSession(cookie);
      const pending = { ...(session.get(GOOGLE_PENDING_KEY) as Record<string, unknown>) };
      tamper(pending);
      session.set(GOOGLE_PENDING_KEY, pending);
      cookie = (await storage.commitSession(session)).split(";")[0]!;
    }
    const callback = await pick(authorize.toString(), "ada@example.com");
    return { authorize, result: s.authenticate(new Request(callback, { headers: { cookie } }), storage, options) };
  }

  const refusedWith = async (p: Promise<unknown>, message: RegExp) => {
    const err = await p.then(
      () => expect.fail("expected the sign-in to be refused"),
      (e: unknown) => e as Error,
    );
    expect(err.message).toMatch(message);
  };

  it("signs in when everything checks out (the harness itself is sound)", async () => {
    const { authorize, result } = await signIn();
    await expect(result).resolves.toMatchObject({ provider: "google", id: localSubject("google", "ada@example.com") });
    // The verifier sent at the exchange is the one whose S256 hash went to the authorize request.
    expect(createHash("sha256").update(seenVerifier!).digest("base64url")).toBe(authorize.searchParams.get("code_challenge"));
  });

  it("V10.2.1 PKCE: the stand-in refuses a token exchange without the right code_verifier", async () => {
    for (const verifier of [undefined, "w".repeat(43)]) {
      const s = strategy();
      const started = await begin(s);
      const callback = new URL(await pick(String(started.headers.get("location")), "ada@example.com"));
      const body = new URLSearchParams({
        grant_type: "authorization_code",
        code: callback.searchParams.get("code")!,
        redirect_uri: `${APP}/auth/google/callback`,
        client_id: CLIENT_ID,
        client_secret: "secret",
      });
      if (verifier) body.set("code_verifier", verifier);
      const res = await fetch(`${standIn.url}/google/token`, { method: "POST", body });
      expect(res.status, String(verifier)).toBe(400);
      expect(await res.json()).toEqual({ error: "invalid_grant" });
    }
  });

  it("V10.2.1 PKCE: a callback whose state cookie holds another code_verifier is refused", async () => {
    const { result } = await signIn((p) => (p.codeVerifier = "x".repeat(43)));
    await refusedWith(result, /token exchange failed/);
  });

  it("V10.5.1 nonce: a callback whose ID token carries another nonce, or none, is refused", async () => {
    rewrite = (claims) => sign({ ...claims, nonce: "someone-elses-nonce" });
    await refusedWith((await signIn()).result, /nonce does not match/);
    rewrite = (claims) => sign({ ...claims, nonce: undefined });
    await refusedWith((await signIn()).result, /not valid/);
    // The same from the other side: this browser's cookie holds another nonce than the one sent.
    rewrite = (claims) => sign(claims);
    await refusedWith((await signIn((p) => (p.nonce = "n".repeat(43)))).result, /nonce does not match/);
  });

  it("V9.1.1 signature: an ID token signed by a key not in the provider's JWKS is refused", async () => {
    rewrite = (claims) => sign(claims, stranger.privateKey);
    await refusedWith((await signIn()).result, /ID token is not valid/);
    // Tampered after signing: a valid signature over other claims.
    rewrite = async (claims) => {
      const [h, , sig] = (await sign(claims)).split(".");
      return `${h}.${Buffer.from(JSON.stringify({ ...claims, sub: "1".repeat(21) })).toString("base64url")}.${sig}`;
    };
    await refusedWith((await signIn()).result, /ID token is not valid/);
  });

  it("V9.1.2 algorithms: an unsigned (alg none) or HS256 ID token is refused", async () => {
    rewrite = async (claims) => new UnsecuredJWT(claims).encode();
    await refusedWith((await signIn()).result, /ID token is not valid/);
    rewrite = (claims) => new SignJWT(claims).setProtectedHeader({ alg: "HS256" }).sign(new TextEncoder().encode("x".repeat(32)));
    await refusedWith((await signIn()).result, /ID token is not valid/);
  });

  it("V10.5.4 audience: an ID token issued to another client is refused", async () => {
    rewrite = (claims) => sign({ ...claims, aud: "another-client" });
    await refusedWith((await signIn()).result, /ID token is not valid/);
    rewrite = (claims) => sign({ ...claims, aud: [CLIENT_ID, "another-client"], azp: "another-client" });
    await refusedWith((await signIn()).result, /issued to another client/);
  });

  it("V10.5.3 issuer: an ID token from another issuer is refused", async () => {
    rewrite = (claims) => sign({ ...claims, iss: "https://accounts.example.com" });
    await refusedWith((await signIn()).result, /ID token is not valid/);
  });

  it("V9.2.1 validity: an expired ID token is refused", async () => {
    const now = Math.floor(Date.now() / 1000);
    rewrite = (claims) => sign({ ...claims, iat: now - 7200, exp: now - 3600 });
    await refusedWith((await signIn()).result, /ID token is not valid/);
  });

  it("V10.5.2 subject: user info about someone other than the ID token's sub is refused", async () => {
    rewrite = (claims) => sign({ ...claims, sub: "1".repeat(21) });
    await refusedWith((await signIn()).result, /someone other than/);
  });

  it("V10.1.2 one transaction: a forged state, or a pending sign-in older than 10 minutes, is refused", async () => {
    await refusedWith((await signIn((p) => (p.state = "s".repeat(43)))).result, /State doesn't match/);
    const { result } = await signIn((p) => (p.startedAt = Date.now() - 10 * 60 * 1000 - 1));
    await refusedWith(result, /took too long/);
  });

  it("V10.1.2 one transaction: without the state cookie the callback is refused", async () => {
    const s = strategy();
    const started = await begin(s);
    const callback = await pick(String(started.headers.get("location")), "ada@example.com");
    await refusedWith(s.authenticate(new Request(callback), storage, options), /Missing state/);
  });
});
