/**
 * Google sign-in as OpenID Connect with PKCE and a nonce (issue 14, finding 4).
 *
 * remix-auth-google 2.0.0 is the newest release and sits on remix-auth-oauth2
 * 1.x, whose `authenticate` sends no code_challenge and no nonce and never
 * looks at the ID token (docs/decisions/006-oauth-pkce-nonce.md). This class
 * keeps the package (its endpoints, authorization parameters, user-info call
 * and profile shape) and replaces only `authenticate`:
 *
 * - start: a fresh state, PKCE verifier (S256) and nonce per sign-in, kept in
 *   the short-lived httpOnly state cookie, the challenge and nonce sent to Google;
 * - callback: the state must match, the code is traded with the verifier, the
 *   ID token's signature is checked against the provider's JWKS (RS256), its
 *   iss, aud, exp and nonce too, and the user-info subject must be the token's.
 *
 * The callback route clears the state cookie whatever the outcome.
 */
import { randomBytes, createHash, timingSafeEqual } from "node:crypto";
import { redirect, type SessionStorage } from "@remix-run/node";
import { createRemoteJWKSet, jwtVerify, type JWTVerifyGetKey } from "jose";
import type { AuthenticateOptions } from "remix-auth";
import { GoogleStrategy, type GoogleStrategyOptions } from "remix-auth-google";

/** Where Google (or a stand-in playing it) answers. */
export interface GoogleEndpoints {
  authorization: string;
  token: string;
  userInfo: string;
  jwks: string;
  /** Accepted `iss` values of the ID token. */
  issuers: string[];
}

/** https://accounts.google.com/.well-known/openid-configuration */
export const GOOGLE_ENDPOINTS: GoogleEndpoints = {
  authorization: "https://accounts.google.com/o/oauth2/v2/auth",
  token: "https://oauth2.googleapis.com/token",
  userInfo: "https://www.googleapis.com/oauth2/v3/userinfo", // as remix-auth-google
  jwks: "https://www.googleapis.com/oauth2/v3/certs",
  // Google documents both spellings as valid issuers of its ID tokens.
  issuers: ["https://accounts.google.com", "accounts.google.com"],
};

/** The same endpoints on the local stand-in (dev/local-oauth-server.ts). */
export function localGoogleEndpoints(base: string): GoogleEndpoints {
  return {
    authorization: `${base}/google/authorize`,
    token: `${base}/google/token`,
    userInfo: `${base}/google/userinfo`,
    jwks: `${base}/google/jwks`,
    issuers: [`${base}/google`],
  };
}

/** What one sign-in keeps in the state cookie between the redirect and the callback. */
interface PendingSignIn {
  state: string;
  codeVerifier: string;
  nonce: string;
  startedAt: number;
}

/** Session key in the state cookie; GitHub's strategy uses its own `oauth2:*` keys. */
export const GOOGLE_PENDING_KEY = "google:pending";
/** As long as the state cookie lives: a pending sign-in older than this is refused even if a cookie survived. */
export const PENDING_SIGN_IN_MS = 10 * 60 * 1000;
/** Clock skew allowed on the ID token's exp/iat. */
const CLOCK_TOLERANCE_S = 60;

// The verify callback's type, from remix-auth-google's own copy of remix-auth-oauth2 (1.x; GitHub's is 2.x).
type Verify<User> = ConstructorParameters<typeof GoogleStrategy<User>>[1];

// 32 random bytes = 43 base64url characters: the shortest verifier RFC 7636 allows, with 256 bits.
const randomToken = () => randomBytes(32).toString("base64url");
const s256 = (verifier: string) => createHash("sha256").update(verifier).digest("base64url");
const sameText = (a: string, b: string) => a.length === b.length && timingSafeEqual(Buffer.from(a), Buffer.from(b));

function isPending(value: unknown): value is PendingSignIn {
  if (typeof value !== "object" || value === null) return false;
  const v = value as Record<string, unknown>;
  return typeof v.state === "string" && typeof v.codeVerifier === "string" && typeof v.nonce === "string" && typeof v.startedAt === "number";
}

export class GoogleOidcStrategy<User> extends GoogleStrategy<User> {
  private readonly endpoints: GoogleEndpoints;
  private readonly jwks: JWTVerifyGetKey;

  constructor(options: GoogleStrategyOptions & { endpoints?: GoogleEndpoints }, verify: Verify<User>) {
    const { endpoints = GOOGLE_ENDPOINTS, ...googleOptions } = options;
    super(googleOptions, verify);
    this.endpoints = endpoints;
    this.authorizationURL = endpoints.authorization;
    this.tokenURL = endpoints.token;
    // userInfoURL is private and readonly in the typings, but a plain field at runtime.
    Object.defineProperty(this, "userInfoURL", { value: endpoints.userInfo });
    // jose caches the keys and refetches on an unknown kid (Google rotates its keys).
    this.jwks = createRemoteJWKSet(new URL(endpoints.jwks));
  }

  override async authenticate(request: Request, sessionStorage: SessionStorage, options: AuthenticateOptions): Promise<User> {
    const url = new URL(request.url);
    const session = await sessionStorage.getSession(request.headers.get("Cookie"));

    if (url.pathname !== new URL(this.callbackURL, url).pathname) {
      const pending: PendingSignIn = { state: randomToken(), codeVerifier: randomToken(), nonce: randomToken(), startedAt: Date.now() };
      session.set(GOOGLE_PENDING_KEY, pending);
      const target = new URL(this.authorizationURL);
      const params = this.authorizationParams();
      params.set("response_type", "code");
      params.set("client_id", this.clientID);
      params.set("redirect_uri", this.callbackURL);
      params.set("scope", this.scope ?? "openid email profile");
      params.set("state", pending.state);
      params.set("code_challenge", s256(pending.codeVerifier));
      params.set("code_challenge_method", "S256");
      params.set("nonce", pending.nonce);
      target.search = params.toString();
      throw redirect(target.toString(), { headers: { "Set-Cookie": await sessionStorage.commitSession(session) } });
    }

    const fail = (reason: string) => this.failure(reason, request, sessionStorage, options, new Error(reason));
    const pending: unknown = session.get(GOOGLE_PENDING_KEY);
    if (!isPending(pending)) return fail("Missing state on session.");
    if (Date.now() - pending.startedAt > PENDING_SIGN_IN_MS) return fail("The sign-in took too long.");
    const state = url.searchParams.get("state") ?? "";
    if (!sameText(state, pending.state)) return fail("State doesn't match.");
    if (url.searchParams.has("error")) return fail("The provider refused the sign-in.");
    const code = url.searchParams.get("code");
    if (!code) return fail("Missing code.");

    let user: User;
    try {
      const params = new URLSearchParams({ grant_type: "authorization_code", redirect_uri: this.callbackURL, code_verifier: pending.codeVerifier });
      const { accessToken, refreshToken, extraParams } = await this.fetchAccessToken(code, params);
      const subject = await this.verifyIdToken(extraParams.id_token, pending.nonce);
      const profile = await this.userProfile(accessToken);
      // The user-info answer must be about the person the signed token names.
      if (profile.id !== subject) throw new Error("The user info is about someone other than the ID token's subject.");
      user = await this.verify({ accessToken, refreshToken, extraParams, profile, context: options.context, request });
    } catch (error) {
      if (error instanceof Response) throw error;
      // The token endpoint's refusal arrives as its body text; keep only that it failed.
      return fail(error instanceof Error ? error.message : "The token exchange failed.");
    }
    return this.success(user, request, sessionStorage, options);
  }

  /** Signature (RS256, the provider's JWKS), iss, aud, exp, and the nonce this sign-in sent; returns `sub`. */
  private async verifyIdToken(idToken: unknown, nonce: string): Promise<string> {
    if (typeof idToken !== "string" || idToken === "") throw new Error("The token response has no ID token.");
    const { payload } = await jwtVerify(idToken, this.jwks, {
      algorithms: ["RS256"],
      issuer: this.endpoints.issuers,
      audience: this.clientID,
      requiredClaims: ["exp", "iat", "sub", "nonce"],
      clockTolerance: CLOCK_TOLERANCE_S,
    }).catch((err: unknown) => {
      throw new Error(`The ID token is not valid (${err instanceof Error && "code" in err ? String(err.code) : "unverifiable"}).`);
    });
    // Several audiences: the token must have been issued to us (OIDC Core 3.1.3.7).
    if (Array.isArray(payload.aud) && payload.aud.length > 1 && payload.azp !== this.clientID) {
      throw new Error("The ID token was issued to another client.");
    }
    if (typeof payload.nonce !== "string" || !sameText(payload.nonce, nonce)) throw new Error("The ID token's nonce does not match this sign-in.");
    if (typeof payload.sub !== "string" || payload.sub === "") throw new Error("The ID token has no subject.");
    return payload.sub;
  }
}
