/**
 * Everything a loader or action needs, built once per process by the server
 * entry and handed to Remix as load context. Tests build their own, so no
 * route ever reads the environment.
 */
import { createCookie } from "@remix-run/node";
import type { Client } from "@temporalio/client";
import { CSRF } from "remix-utils/csrf/server";
import type { Db } from "../db/connection.js";
import { createAuthenticator, type AppAuthenticator } from "./auth/providers.server.js";
import type { Config } from "./config.server.js";
import type { Logger } from "./logger.server.js";
import type { ApiRuntime } from "./api/v1.server.js";
import type { PaymentProvider } from "./payments/payment-provider.js";
import { paymentProviderFrom } from "./payments/provider.server.js";

export interface Services {
  config: Config;
  db: Db;
  temporal: Client;
  logger: Logger;
  authenticator: AppAuthenticator;
  sessionCookie: ReturnType<typeof createCookie>;
  csrf: CSRF;
  /** What a console form held when its action asked for a fresh sign-in (app/auth/step-up.server.ts). */
  stepUpCookie: ReturnType<typeof createCookie>;
  /** Key-verdict and account caches of this process, kept honest by the change feed. */
  api: ApiRuntime;
  /** PAYMENT_PROVIDER's provider: Checkout sessions, saved cards, webhook signatures. */
  payments: PaymentProvider;
}

export function createServices(deps: { config: Config; db: Db; temporal: Client; logger: Logger; api: ApiRuntime; payments?: PaymentProvider }): Services {
  const { config } = deps;
  const sessionCookie = createCookie("sb_session", {
    httpOnly: true,
    sameSite: "lax",
    secure: config.secureCookies,
    path: "/",
    maxAge: config.session.ttlHours * 3600,
    secrets: config.session.secrets,
  });
  const csrf = new CSRF({
    cookie: createCookie("sb_csrf", {
      httpOnly: true,
      sameSite: "lax",
      secure: config.secureCookies,
      path: "/",
      secrets: config.session.secrets,
    }),
    secret: config.session.secrets[0],
  });
  // Signed, HttpOnly, console-only and short-lived: long enough for the OAuth round trip of "Sign in again".
  const stepUpCookie = createCookie("sb_step_up", {
    httpOnly: true,
    sameSite: "lax",
    secure: config.secureCookies,
    path: "/console",
    maxAge: 15 * 60,
    secrets: config.session.secrets,
  });
  return {
    ...deps,
    payments: deps.payments ?? paymentProviderFrom(config, deps.db),
    authenticator: createAuthenticator(config),
    sessionCookie,
    csrf,
    stepUpCookie,
  };
}

declare module "@remix-run/node" {
  interface AppLoadContext {
    services: Services;
    /** The client's address as Express saw it (trust proxy decides whether X-Forwarded-For counts). */
    ip: string | null;
  }
}
