/**
 * Google and GitHub through remix-auth. Without client ids (development) the
 * same strategies point at the local OAuth stand-in (dev/local-oauth-server.ts)
 * and do the same redirect dance. The verify callbacks only normalize what the
 * provider said; the sign-in rules live in app/models/sign-in.server.ts.
 */
import { createCookieSessionStorage } from "@remix-run/node";
import { Authenticator } from "remix-auth";
import { GitHubStrategy } from "remix-auth-github";
import type { Config } from "../config.server.js";
import { GoogleOidcStrategy, localGoogleEndpoints } from "./google-oidc.server.js";
import type { SignInProvider } from "../../db/schema.js";
import type { ProviderIdentity } from "../models/sign-in.server.js";
import { isStorableText, toStorableDisplayText } from "../validation/text.js";

export const SIGN_IN_PROVIDERS: readonly SignInProvider[] = ["google", "github"];
export const isSignInProvider = (p: string): p is SignInProvider => (SIGN_IN_PROVIDERS as readonly string[]).includes(p);

/** The cookie that carries a pending sign-in (state, PKCE verifier, nonce) from the redirect to the callback. */
export const OAUTH_STATE_COOKIE = "sb_oauth";

/** Ends the pending sign-in in the browser: the callback sends this on every outcome, so a state is used once. */
export function clearOAuthStateCookie(secure: boolean): string {
  return `${OAUTH_STATE_COOKIE}=; Path=/auth; HttpOnly; SameSite=Lax; Max-Age=0; Expires=Thu, 01 Jan 1970 00:00:00 GMT${secure ? "; Secure" : ""}`;
}

/**
 * What a provider says reaches PostgreSQL, and a NUL there would fail the
 * sign-in with a 500. Identifiers (subject, email) must be storable exactly as
 * sent, or the sign-in is refused as a failed one (/login?error=oauth): repairing
 * them could make two people one. Display text is repaired instead (NUL dropped,
 * a lone surrogate as U+FFFD): an odd name must not keep anyone out. An avatar
 * URL that is not clean text is dropped.
 */
export function storableIdentity(identity: ProviderIdentity): ProviderIdentity {
  if (!isStorableText(identity.subject) || (identity.email !== null && !isStorableText(identity.email))) {
    throw new Error("the provider sent an identifier that is not well-formed text");
  }
  return {
    ...identity,
    name: identity.name === null ? null : toStorableDisplayText(identity.name) || null,
    avatarUrl: identity.avatarUrl !== null && isStorableText(identity.avatarUrl) ? identity.avatarUrl : null,
  };
}

export function createAuthenticator(config: Config) {
  // Carries only the OAuth state, PKCE verifier (and Google's nonce) between the redirect and the callback.
  const oauthStateStorage = createCookieSessionStorage({
    cookie: {
      name: OAUTH_STATE_COOKIE,
      httpOnly: true,
      sameSite: "lax", // the provider's redirect back is a top-level GET, which Lax allows
      secure: config.secureCookies,
      path: "/auth",
      maxAge: 600,
      secrets: config.session.secrets,
    },
  });
  const authenticator = new Authenticator<ProviderIdentity>(oauthStateStorage);

  const googleOptions = {
    clientID: config.oauth.google?.clientId ?? "switchboard-local",
    clientSecret: config.oauth.google?.clientSecret ?? "switchboard-local-secret",
    callbackURL: `${config.publicUrl}/auth/google/callback`,
    prompt: "select_account" as const,
  };
  const verifyGoogle = async ({ profile }: { profile: { id: string; _json: Record<string, unknown>; displayName?: string } }) => {
    const raw = profile._json;
    return storableIdentity({
      provider: "google",
      subject: String(profile.id ?? raw.sub),
      email: typeof raw.email === "string" ? raw.email : null,
      // Google says so per address; anything but a literal true is unverified.
      emailVerified: raw.email_verified === true,
      name: typeof raw.name === "string" ? raw.name : null,
      avatarUrl: typeof raw.picture === "string" ? raw.picture : null,
    });
  };
  // PKCE, a nonce and a verified ID token on top of remix-auth-google (app/auth/google-oidc.server.ts).
  authenticator.use(
    new GoogleOidcStrategy(config.oauth.google ? googleOptions : { ...googleOptions, endpoints: localGoogleEndpoints(config.oauth.localUrl) }, verifyGoogle),
    "google",
  );

  const local = config.oauth.localUrl;
  authenticator.use(
    new GitHubStrategy(
      {
        clientId: config.oauth.github?.clientId ?? "switchboard-local",
        clientSecret: config.oauth.github?.clientSecret ?? "switchboard-local-secret",
        redirectURI: `${config.publicUrl}/auth/github/callback`,
        scopes: ["user:email"],
        ...(config.oauth.github
          ? {}
          : {
              authorizationEndpoint: `${local}/github/login/oauth/authorize`,
              tokenEndpoint: `${local}/github/login/oauth/access_token`,
              userInfoEndpoint: `${local}/github/user`,
              userEmailsEndpoint: `${local}/github/user/emails`,
            }),
      },
      async ({ profile }) => {
        // The strategy keeps verified addresses only, primary first: we accept the primary one.
        const primary = profile.emails.find((e) => e.type === "primary");
        return storableIdentity({
          provider: "github",
          subject: String(profile.id),
          email: primary?.value ?? null,
          emailVerified: primary !== undefined,
          name: profile._json.name ?? profile._json.login ?? null,
          avatarUrl: profile._json.avatar_url ?? null,
        });
      },
    ),
    "github",
  );
  return authenticator;
}

export type AppAuthenticator = ReturnType<typeof createAuthenticator>;
