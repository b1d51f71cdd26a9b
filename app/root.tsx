import type { LinksFunction, LoaderFunctionArgs, MetaFunction } from "@remix-run/node";
import { data } from "@remix-run/node";
import { Links, Meta, Outlet, Scripts, ScrollRestoration, useLoaderData } from "@remix-run/react";
import { AuthenticityTokenProvider } from "remix-utils/csrf/react";
import { BRAND_ICON } from "./components/brand.js";
import { ErrorPage, errorView } from "./components/error-page.js";
import { PendingSubmits } from "./components/pending-submits.js";
import { TopBar } from "./components/ui.js";
import { useCspNonce } from "./http/csp-nonce.js";
import { pageTitle } from "./page-title.js";
import styles from "./styles/app.css";

export const links: LinksFunction = () => [
  { rel: "stylesheet", href: styles },
  { rel: "icon", href: BRAND_ICON, type: "image/svg+xml" },
];
/** Pages name themselves (app/page-title.ts); this is the title of a page that failed above any layout. */
export const meta: MetaFunction = ({ error }) => pageTitle(error ? errorView(error).title : null);

export async function loader({ request, context }: LoaderFunctionArgs) {
  let [csrf, cookie] = await context.services.csrf.commitToken(request);
  // An empty sb_csrf cookie reads as a token of "": issue a real one instead.
  if (!csrf) [csrf, cookie] = await context.services.csrf.commitToken();
  return data({ csrf }, cookie ? { headers: { "Set-Cookie": cookie } } : undefined);
}

export function Layout({ children }: { children: React.ReactNode }) {
  // The Content-Security-Policy allows inline scripts only with this request's nonce (app/entry.server.tsx).
  const nonce = useCspNonce();
  return (
    <html lang="en">
      <head>
        <meta charSet="utf-8" />
        <meta name="viewport" content="width=device-width, initial-scale=1" />
        {/* Light and dark: the tokens in app/styles/app.css follow prefers-color-scheme. */}
        <meta name="color-scheme" content="light dark" />
        <Meta />
        <Links />
      </head>
      <body>
        {children}
        <ScrollRestoration nonce={nonce} />
        <Scripts nonce={nonce} />
      </body>
    </html>
  );
}

export default function App() {
  const { csrf } = useLoaderData<typeof loader>();
  return (
    <AuthenticityTokenProvider token={csrf}>
      <PendingSubmits />
      <Outlet />
    </AuthenticityTokenProvider>
  );
}

/** A page that failed outside the settings and console layouts (their own boundaries keep their bars). */
export function ErrorBoundary() {
  return (
    <>
      <TopBar links={[{ to: "/", label: "Home" }]} contentTarget={false} />
      <main className="page narrow" id="content" tabIndex={-1}>
        <ErrorPage home={{ to: "/", label: "Go to the start page" }} />
      </main>
    </>
  );
}
