/**
 * A real local HTTP server that stands in for Google and GitHub OAuth when no
 * client ids are configured. The app's unmodified remix-auth strategies do the
 * full redirect dance against it: authorize (a picker page instead of a real
 * login) -> code -> token -> user info. Used by `npm start` for newcomers and
 * by integration tests.
 *
 * Library use: oauth2-mock-server's `OAuth2Issuer` holds the RSA key and signs
 * the Google id_token; its key store also backs our JWKS. Its HTTP service
 * (`OAuth2Service`) is not mounted because it does not fit: its /authorize
 * redirects immediately (no picker), accepts any redirect_uri, its codes are
 * not bound to a client or redirect_uri and never expire, `sub` is always
 * "johndoe", it serves endpoints we don't want (an /endsession that redirects
 * anywhere) and its error handler writes to the console. So the routes are a
 * small Express app, and the discovery document is ours so it advertises only
 * what this server really does.
 */
import { createHash, randomBytes } from "node:crypto";
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import express, { type NextFunction, type Request, type Response } from "express";
import { OAuth2Issuer } from "oauth2-mock-server";
import { z } from "zod";

export interface LocalIdentity {
  email: string;
  name: string;
  /** Defaults to true. */
  emailVerified?: boolean;
}

export interface LocalOAuthServer {
  /** Base URL without a trailing slash, e.g. http://localhost:4010 */
  url: string;
  stop(): Promise<void>;
}

type Provider = "google" | "github";

/** Deterministic subject a provider gives an email (so tests can predict it). */
export function localSubject(provider: Provider, email: string): string {
  const digest = createHash("sha256").update(`${provider}:${email.toLowerCase()}`).digest();
  if (provider === "google") {
    // Google subjects are 21-digit decimal strings; pin the leading digit to 1
    // so the length is always exactly 21.
    const n = BigInt(`0x${digest.subarray(0, 16).toString("hex")}`) % 10n ** 20n;
    return (10n ** 20n + n).toString();
  }
  // GitHub ids are positive 32-bit signed integers.
  return String((digest.readUInt32BE(0) % 0x7fffffff) + 1);
}

const CODE_TTL_MS = 5 * 60 * 1000;
const TOKEN_TTL_S = 3600;
const LABEL: Record<Provider, string> = { google: "Google", github: "GitHub" };
const AUTHORIZE_PATH: Record<Provider, string> = {
  google: "/google/authorize",
  github: "/github/login/oauth/authorize",
};

interface Identity {
  email: string;
  name: string;
  emailVerified: boolean;
}

interface CodeGrant {
  provider: Provider;
  clientId: string;
  redirectUri: string;
  scope: string;
  nonce: string | undefined;
  codeChallenge: { challenge: string; method: "S256" | "plain" } | undefined;
  identity: Identity;
  expiresAt: number;
}

interface AccessGrant {
  provider: Provider;
  identity: Identity;
  expiresAt: number;
}

const emailSchema = z
  .string({ required_error: "Enter an email address." })
  .trim()
  .min(1, "Enter an email address.")
  .max(254, "That email address is too long.")
  .email("That is not a valid email address.");

const nameSchema = z.string().trim().max(100, "The name is too long (100 characters at most).");

const identitySchema = z.object({
  email: emailSchema,
  name: nameSchema.min(1, "Demo identities need a name."),
  emailVerified: z.boolean().default(true),
});

/** A query/form value that must occur exactly once (RFC 6749 §3.1). */
function single(name: string) {
  return z.string({
    required_error: `Missing ${name}.`,
    invalid_type_error: `${name} must appear exactly once.`,
  });
}

function isHttpUrl(value: string): boolean {
  try {
    const url = new URL(value);
    return (url.protocol === "http:" || url.protocol === "https:") && url.hash === "";
  } catch {
    return false;
  }
}

function authorizeSchema(provider: Provider) {
  const responseType = z.literal("code", {
    errorMap: () => ({ message: 'response_type must be "code".' }),
  });
  return z.object({
    client_id: single("client_id").min(1, "Missing client_id."),
    redirect_uri: single("redirect_uri").min(1, "Missing redirect_uri.").refine(isHttpUrl, "redirect_uri must be an absolute http(s) URL without a #fragment."),
    state: single("state").min(1, "Missing state."),
    // Google insists on response_type; GitHub ignores it, so it may be absent.
    response_type: provider === "google" ? responseType : responseType.optional(),
    scope: single("scope").optional(),
    nonce: single("nonce").optional(),
    login_hint: single("login_hint").optional(),
    code_challenge: single("code_challenge")
      .regex(/^[A-Za-z0-9._~-]{43,128}$/, "code_challenge is malformed (RFC 7636).")
      .optional(),
    code_challenge_method: z
      .enum(["S256", "plain"], {
        errorMap: () => ({ message: 'code_challenge_method must be "S256" or "plain".' }),
      })
      .optional(),
  });
}

type AuthorizeRequest = z.infer<ReturnType<typeof authorizeSchema>>;

/** The OAuth parameters the picker forms carry back to POST /authorize. */
const CARRIED_PARAMS = ["client_id", "redirect_uri", "state", "response_type", "scope", "nonce", "code_challenge", "code_challenge_method"] as const;

function escapeHtml(value: string): string {
  return value.replaceAll("&", "&amp;").replaceAll("<", "&lt;").replaceAll(">", "&gt;").replaceAll('"', "&quot;").replaceAll("'", "&#39;");
}

const STYLE = `
  body { font-family: system-ui, sans-serif; margin: 0; background: #f4f5f7; color: #1d2330; }
  main { max-width: 34rem; margin: 2rem auto; padding: 1.5rem 2rem; background: #fff; border: 1px solid #d7dbe2; border-radius: 8px; }
  h1 { font-size: 1.35rem; } h2 { font-size: 1.05rem; margin-top: 1.5rem; }
  .note { background: #fff7d6; border: 1px solid #e8d48a; padding: .5rem .75rem; border-radius: 4px; }
  .error { background: #fde8e8; border: 1px solid #e5a3a3; padding: .5rem .75rem; border-radius: 4px; }
  ul { list-style: none; padding: 0; } li { margin: .4rem 0; }
  button { font: inherit; padding: .45rem .9rem; border-radius: 4px; border: 1px solid #8a93a6; background: #fff; cursor: pointer; }
  button.identity { width: 100%; text-align: left; } button.identity span { display: block; color: #4b5468; font-size: .9em; }
  button:focus-visible, input:focus-visible { outline: 3px solid #3b6fd8; outline-offset: 2px; }
  label { display: block; margin: .6rem 0 .2rem; } label.check { display: flex; gap: .4rem; align-items: center; }
  input[type=email], input[type=text] { font: inherit; width: 100%; box-sizing: border-box; padding: .4rem; }
  .hint { color: #4b5468; font-size: .9em; margin: .2rem 0 .8rem; }`;

function page(title: string, body: string): string {
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${escapeHtml(title)}</title>
<style>${STYLE}</style>
</head>
<body><main>
${body}
</main></body>
</html>`;
}

function sendHtml(res: Response, status: number, html: string): void {
  res
    .status(status)
    .set({
      "Content-Type": "text/html; charset=utf-8",
      "Cache-Control": "no-store",
      // Inline styles only; no scripts, no framing (the picker is a consent screen).
      "Content-Security-Policy": "default-src 'none'; style-src 'unsafe-inline'; frame-ancestors 'none'",
      "Referrer-Policy": "no-referrer",
    })
    .send(html);
}

function sendRejectedRequest(res: Response, provider: Provider, problems: string[]): void {
  const title = `Local ${LABEL[provider]} sign-in: request rejected`;
  sendHtml(
    res,
    400,
    page(
      title,
      `<h1>${escapeHtml(title)}</h1>
<p>The app sent a sign-in request this local ${LABEL[provider]} stand-in cannot accept, so it will not send you anywhere:</p>
<ul role="list">${problems.map((p) => `<li>${escapeHtml(p)}</li>`).join("")}</ul>`,
    ),
  );
}

interface PickerForm {
  email?: string;
  name?: string;
  emailVerified?: boolean;
  error?: string;
}

function renderPicker(provider: Provider, request: AuthorizeRequest, identities: readonly Identity[], form: PickerForm): string {
  const label = LABEL[provider];
  const title = `Local ${label} sign-in (development stand-in)`;
  const action = escapeHtml(AUTHORIZE_PATH[provider]);
  const hidden = CARRIED_PARAMS.map((key) => {
    const value = request[key];
    return value === undefined ? "" : `<input type="hidden" name="${key}" value="${escapeHtml(value)}">`;
  }).join("");
  const returnTo = new URL(request.redirect_uri).origin;
  const demoList =
    identities.length === 0
      ? "<p>No demo accounts are configured.</p>"
      : `<ul>${identities
          .map(
            (identity, i) =>
              `<li><button type="submit" class="identity" name="choice" value="demo:${i}">${escapeHtml(identity.name)}<span>${escapeHtml(identity.email)}${identity.emailVerified ? "" : " (unverified email)"}</span></button></li>`,
          )
          .join("")}</ul>`;
  const verified = form.emailVerified ?? true;

  return page(
    title,
    `<h1>${escapeHtml(title)}</h1>
<p class="note">This is not ${label}. No ${label} OAuth client is configured, so this local server plays ${label}. Choose who to sign in as.</p>
<p>App <code>${escapeHtml(request.client_id)}</code> asked; you will be sent back to <code>${escapeHtml(returnTo)}</code>.</p>
${form.error ? `<p class="error" role="alert">${escapeHtml(form.error)}</p>` : ""}
<section aria-labelledby="demo-heading">
<h2 id="demo-heading">Demo accounts</h2>
<form method="post" action="${action}">${hidden}${demoList}</form>
</section>
<section aria-labelledby="custom-heading">
<h2 id="custom-heading">Another email</h2>
<form method="post" action="${action}">${hidden}
<label for="email">Email</label>
<input id="email" name="email" type="email" required maxlength="254" autocomplete="email" value="${escapeHtml(form.email ?? "")}">
<label for="name">Name (optional)</label>
<input id="name" name="name" type="text" maxlength="100" autocomplete="name" value="${escapeHtml(form.name ?? "")}">
<label class="check"><input type="checkbox" name="email_verified" value="true"${verified ? " checked" : ""}> Email is verified</label>
<p class="hint">Untick to see how the app treats an unverified email.</p>
<button type="submit" name="choice" value="custom">Continue</button>
</form>
</section>
<form method="post" action="${action}">${hidden}
<h2>Changed your mind?</h2>
<button type="submit" name="choice" value="cancel">Cancel</button>
</form>`,
  );
}

/** "Ada Lovelace" -> ["Ada", "Lovelace"]; a one-word name has no family name. */
function splitName(name: string): [given: string, family: string] {
  const [given = "", ...rest] = name.trim().split(/\s+/);
  return [given, rest.join(" ")];
}

/** A GitHub-shaped login (alphanumerics and single hyphens, 39 chars max). */
function loginFor(email: string): string {
  const local = email.split("@")[0] ?? "";
  const login = local
    .replace(/[^A-Za-z0-9]+/g, "-")
    .replace(/^-+|-+$/g, "")
    .slice(0, 39)
    .replace(/-+$/, "");
  return login === "" ? "user" : login;
}

function base64url(bytes: Buffer): string {
  return bytes.toString("base64url");
}

function bearerToken(req: Request, provider: Provider): string | undefined {
  const header = req.get("authorization") ?? "";
  // GitHub accepts the legacy "token x" scheme (remix-auth-github sends it).
  const schemes = provider === "github" ? /^(?:bearer|token)\s+(\S+)$/i : /^bearer\s+(\S+)$/i;
  return schemes.exec(header)?.[1];
}

/** Client id from HTTP Basic auth (RFC 6749 §2.3.1) or the request body. */
function clientIdOf(req: Request): string | undefined {
  const basic = /^basic\s+(\S+)$/i.exec(req.get("authorization") ?? "")?.[1];
  if (basic !== undefined) {
    const decoded = Buffer.from(basic, "base64").toString("utf8");
    const id = decoded.slice(0, decoded.includes(":") ? decoded.indexOf(":") : undefined);
    try {
      return decodeURIComponent(id.replaceAll("+", " ")) || undefined;
    } catch {
      return undefined;
    }
  }
  const fromBody: unknown = req.body?.client_id;
  return typeof fromBody === "string" && fromBody !== "" ? fromBody : undefined;
}

function pkceMatches(grant: CodeGrant["codeChallenge"], verifier: unknown): boolean {
  if (grant === undefined) return true;
  if (typeof verifier !== "string" || !/^[A-Za-z0-9._~-]{43,128}$/.test(verifier)) return false;
  const derived = grant.method === "S256" ? base64url(createHash("sha256").update(verifier).digest()) : verifier;
  return derived === grant.challenge;
}

export async function startLocalOAuthServer(options: { port: number; host?: string; demoIdentities: LocalIdentity[] }): Promise<LocalOAuthServer> {
  const host = options.host ?? "localhost";
  const identities: Identity[] = options.demoIdentities.map((identity, i) => {
    const parsed = identitySchema.safeParse(identity);
    if (!parsed.success) {
      throw new Error(`demoIdentities[${i}]: ${parsed.error.issues.map((x) => x.message).join(" ")}`);
    }
    return parsed.data;
  });

  const issuer = new OAuth2Issuer();
  await issuer.keys.generate("RS256");

  // Codes and tokens live only in memory; expired entries are dropped lazily.
  const codes = new Map<string, CodeGrant>();
  const tokens = new Map<string, AccessGrant>();
  const prune = (): void => {
    const now = Date.now();
    for (const [key, grant] of codes) if (grant.expiresAt <= now) codes.delete(key);
    for (const [key, grant] of tokens) if (grant.expiresAt <= now) tokens.delete(key);
  };

  let baseUrl = ""; // known once listening

  const app = express();
  app.disable("x-powered-by");
  // Plain querystring parsing: values are strings (or arrays when repeated),
  // never the nested objects `qs` builds.
  app.set("query parser", "simple");
  const form = express.urlencoded({ extended: false, limit: "20kb" });

  function issueCode(provider: Provider, request: AuthorizeRequest, identity: Identity): string {
    prune();
    const code = base64url(randomBytes(32));
    codes.set(code, {
      provider,
      clientId: request.client_id,
      redirectUri: request.redirect_uri,
      scope: request.scope ?? (provider === "google" ? "openid email profile" : ""),
      nonce: request.nonce,
      codeChallenge: request.code_challenge === undefined ? undefined : { challenge: request.code_challenge, method: request.code_challenge_method ?? "plain" },
      identity,
      expiresAt: Date.now() + CODE_TTL_MS,
    });
    return code;
  }

  function redirectBack(res: Response, request: AuthorizeRequest, params: Record<string, string>): void {
    // Only reached after authorizeSchema accepted redirect_uri as an http(s) URL.
    const target = new URL(request.redirect_uri);
    for (const [key, value] of Object.entries(params)) target.searchParams.set(key, value);
    target.searchParams.set("state", request.state);
    res.set("Cache-Control", "no-store").redirect(302, target.href);
  }

  function authorize(provider: Provider) {
    const schema = authorizeSchema(provider);
    return (req: Request, res: Response): void => {
      const source: Record<string, unknown> = req.method === "POST" ? (req.body ?? {}) : req.query;
      const parsed = schema.safeParse(source);
      if (!parsed.success) {
        sendRejectedRequest(
          res,
          provider,
          parsed.error.issues.map((issue) => issue.message),
        );
        return;
      }
      const request = parsed.data;
      const choice = req.method === "POST" ? source.choice : undefined;

      if (choice === undefined) {
        sendHtml(res, 200, renderPicker(provider, request, identities, { email: request.login_hint }));
        return;
      }
      if (choice === "cancel") {
        redirectBack(res, request, { error: "access_denied" });
        return;
      }
      if (choice === "custom") {
        const email = emailSchema.safeParse(source.email);
        const name = nameSchema.safeParse(source.name ?? "");
        const emailVerified = source.email_verified !== undefined;
        if (!email.success || !name.success) {
          const error = (email.error ?? name.error)?.issues[0]?.message ?? "Invalid input.";
          const typed = (v: unknown) => (typeof v === "string" ? v : undefined);
          sendHtml(
            res,
            400,
            renderPicker(provider, request, identities, {
              email: typed(source.email),
              name: typed(source.name),
              emailVerified,
              error,
            }),
          );
          return;
        }
        const identity: Identity = {
          email: email.data,
          name: name.data || email.data.split("@")[0] || email.data,
          emailVerified,
        };
        redirectBack(res, request, { code: issueCode(provider, request, identity) });
        return;
      }
      const demo = typeof choice === "string" ? /^demo:(\d+)$/.exec(choice) : null;
      const identity = demo ? identities[Number(demo[1])] : undefined;
      if (identity === undefined) {
        sendRejectedRequest(res, provider, ["Unknown choice; go back and pick an account again."]);
        return;
      }
      redirectBack(res, request, { code: issueCode(provider, request, identity) });
    };
  }

  /**
   * Redeems a code at a token endpoint, answering the error itself if needed.
   * The code is consumed on first presentation, even if the request then
   * fails, so a leaked code can never be replayed.
   */
  function redeem(provider: Provider, req: Request, res: Response): CodeGrant | undefined {
    res.set({ "Cache-Control": "no-store", Pragma: "no-cache" });
    const body: Record<string, unknown> = req.body ?? {};
    if (body.grant_type !== "authorization_code") {
      res.status(400).json({ error: "unsupported_grant_type" });
      return undefined;
    }
    const clientId = clientIdOf(req);
    if (clientId === undefined) {
      // Any secret is accepted (nothing is registered), but the client must say who it is.
      res.status(401).json({ error: "invalid_client" });
      return undefined;
    }
    const code = typeof body.code === "string" ? body.code : "";
    const grant = codes.get(code);
    codes.delete(code);
    if (
      grant === undefined ||
      grant.provider !== provider ||
      grant.expiresAt <= Date.now() ||
      grant.clientId !== clientId ||
      grant.redirectUri !== body.redirect_uri ||
      !pkceMatches(grant.codeChallenge, body.code_verifier)
    ) {
      res.status(400).json({ error: "invalid_grant" });
      return undefined;
    }
    return grant;
  }

  function issueAccessToken(provider: Provider, identity: Identity): string {
    prune();
    // Prefixes mimic the real providers' formats, which helps when debugging.
    const token = `${provider === "google" ? "ya29.local-" : "gho_local"}${base64url(randomBytes(32))}`;
    tokens.set(token, { provider, identity, expiresAt: Date.now() + TOKEN_TTL_S * 1000 });
    return token;
  }

  /** Looks up the bearer token, answering 401 itself if it is unknown or expired. */
  function authenticate(provider: Provider, req: Request, res: Response): Identity | undefined {
    const token = bearerToken(req, provider);
    const grant = token === undefined ? undefined : tokens.get(token);
    if (grant === undefined || grant.provider !== provider || grant.expiresAt <= Date.now()) {
      res
        .status(401)
        .set("WWW-Authenticate", 'Bearer error="invalid_token"')
        .json(provider === "google" ? { error: "invalid_token" } : { message: "Bad credentials" });
      return undefined;
    }
    return grant.identity;
  }

  const avatarUrl = (provider: Provider, subject: string) => `${baseUrl}/avatars/${provider}-${subject}.svg`;

  // --- Google flavour -------------------------------------------------------

  app.get("/google/authorize", authorize("google"));
  app.post("/google/authorize", form, authorize("google"));

  app.post("/google/token", form, (req, res, next) => {
    const grant = redeem("google", req, res);
    if (grant === undefined) return;
    // Express 4 does not catch rejected promises, so hand failures to next().
    googleTokenResponse(grant).then((body) => res.json(body), next);
  });

  async function googleTokenResponse(grant: CodeGrant): Promise<Record<string, unknown>> {
    const { identity } = grant;
    const [givenName, familyName] = splitName(identity.name);
    const idToken = await issuer.buildToken({
      expiresIn: TOKEN_TTL_S,
      scopesOrTransform: (_header, payload) => {
        Object.assign(payload, {
          aud: grant.clientId,
          azp: grant.clientId,
          sub: localSubject("google", identity.email),
          email: identity.email,
          email_verified: identity.emailVerified,
          name: identity.name,
          given_name: givenName,
          family_name: familyName,
          ...(grant.nonce === undefined ? {} : { nonce: grant.nonce }),
        });
      },
    });
    return {
      access_token: issueAccessToken("google", identity),
      token_type: "Bearer",
      expires_in: TOKEN_TTL_S,
      scope: grant.scope,
      id_token: idToken,
    };
  }

  app.get("/google/userinfo", (req, res) => {
    const identity = authenticate("google", req, res);
    if (identity === undefined) return;
    const sub = localSubject("google", identity.email);
    const [givenName, familyName] = splitName(identity.name);
    res.json({
      sub,
      email: identity.email,
      email_verified: identity.emailVerified,
      name: identity.name,
      given_name: givenName,
      family_name: familyName,
      picture: avatarUrl("google", sub),
    });
  });

  app.get("/google/.well-known/openid-configuration", (_req, res) => {
    const google = `${baseUrl}/google`;
    res.json({
      issuer: google,
      authorization_endpoint: `${google}/authorize`,
      token_endpoint: `${google}/token`,
      userinfo_endpoint: `${google}/userinfo`,
      jwks_uri: `${google}/jwks`,
      response_types_supported: ["code"],
      grant_types_supported: ["authorization_code"],
      subject_types_supported: ["public"],
      id_token_signing_alg_values_supported: ["RS256"],
      token_endpoint_auth_methods_supported: ["client_secret_post", "client_secret_basic"],
      code_challenge_methods_supported: ["S256", "plain"],
      scopes_supported: ["openid", "email", "profile"],
    });
  });

  app.get("/google/jwks", (_req, res) => {
    res.json({ keys: issuer.keys.toJSON() }); // public halves only
  });

  // --- GitHub flavour -------------------------------------------------------

  app.get("/github/login/oauth/authorize", authorize("github"));
  app.post("/github/login/oauth/authorize", form, authorize("github"));

  // GitHub takes form or JSON bodies, and we always answer JSON whatever the
  // Accept header says (real GitHub defaults to form-encoded, which the
  // strategies never want).
  app.post("/github/login/oauth/access_token", form, express.json({ limit: "20kb" }), (req, res) => {
    const grant = redeem("github", req, res);
    if (grant === undefined) return;
    res.json({
      access_token: issueAccessToken("github", grant.identity),
      token_type: "bearer",
      // GitHub reports granted scopes comma-separated.
      scope: grant.scope
        .split(/[\s,]+/)
        .filter(Boolean)
        .join(","),
    });
  });

  app.get("/github/user", (req, res) => {
    const identity = authenticate("github", req, res);
    if (identity === undefined) return;
    const id = localSubject("github", identity.email);
    res.json({
      id: Number(id),
      login: loginFor(identity.email),
      name: identity.name,
      email: identity.emailVerified ? identity.email : null,
      avatar_url: avatarUrl("github", id),
    });
  });

  app.get("/github/user/emails", (req, res) => {
    const identity = authenticate("github", req, res);
    if (identity === undefined) return;
    res.json([{ email: identity.email, verified: identity.emailVerified, primary: true, visibility: "private" }]);
  });

  // --- Shared ---------------------------------------------------------------

  // Profile pictures must resolve offline, so serve a plain coloured disc.
  app.get("/avatars/:file", (req, res) => {
    const match = /^(google|github)-(\d{1,21})\.svg$/.exec(req.params.file ?? "");
    if (match === null) {
      res.status(404).json({ error: "not_found" });
      return;
    }
    const hue =
      createHash("sha256")
        .update(req.params.file ?? "")
        .digest()
        .readUInt16BE(0) % 360;
    res
      .type("image/svg+xml")
      .set("Cache-Control", "public, max-age=86400")
      .send(
        `<svg xmlns="http://www.w3.org/2000/svg" width="96" height="96" viewBox="0 0 96 96"><circle cx="48" cy="48" r="48" fill="hsl(${hue},55%,55%)"/></svg>`,
      );
  });

  app.use((_req, res) => {
    res.status(404).json({ error: "not_found" });
  });

  // Nothing is logged: requests carry emails and tokens.
  app.use((err: unknown, _req: Request, res: Response, _next: NextFunction) => {
    // body-parser marks malformed or oversized bodies with a 4xx status.
    const status = typeof err === "object" && err !== null && "status" in err && typeof err.status === "number" ? err.status : 500;
    const clientError = status >= 400 && status < 500;
    res.status(clientError ? status : 500).json({ error: clientError ? "invalid_request" : "server_error" });
  });

  const server = createServer(app);
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(options.port, host, () => {
      server.off("error", reject);
      resolve();
    });
  });

  const { port } = server.address() as AddressInfo;
  const urlHost = host === "0.0.0.0" || host === "::" ? "localhost" : host.includes(":") ? `[${host}]` : host;
  baseUrl = `http://${urlHost}:${port}`;
  issuer.url = `${baseUrl}/google`;

  let stopped: Promise<void> | undefined;
  return {
    url: baseUrl,
    stop() {
      stopped ??= new Promise<void>((resolve, reject) => {
        server.close((err) => (err ? reject(err) : resolve()));
        // Drop keep-alive and in-flight sockets so the process can exit.
        server.closeAllConnections();
      });
      return stopped;
    },
  };
}
