import type { LinksFunction, LoaderFunctionArgs, MetaFunction } from "@remix-run/node";
import { data } from "@remix-run/node";
import { Links, Meta, Outlet, Scripts, ScrollRestoration, isRouteErrorResponse, useLoaderData, useRouteError } from "@remix-run/react";
import { AuthenticityTokenProvider } from "remix-utils/csrf/react";
import { useCspNonce } from "./http/csp-nonce.js";
import styles from "./styles/app.css";

export const links: LinksFunction = () => [
  { rel: "stylesheet", href: styles },
  // No favicon file: an empty data URL keeps browsers from requesting (and 404ing on) /favicon.ico.
  { rel: "icon", href: "data:," },
];
export const meta: MetaFunction = () => [{ title: "Switchboard" }];

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
      <Outlet />
    </AuthenticityTokenProvider>
  );
}

export function ErrorBoundary() {
  const error = useRouteError();
  let title = "Something went wrong";
  let message = "An unexpected error happened. Try again in a moment; if it keeps happening, contact support.";
  if (isRouteErrorResponse(error)) {
    title = error.status === 404 ? "Page not found" : `${error.status} ${error.statusText || "Error"}`;
    message =
      typeof error.data === "string" && error.data && error.data !== "Not Found"
        ? error.data
        : error.status === 404
          ? "There is nothing at this address. Check the link, or go back to the start page."
          : message;
  }
  return (
    <main className="page narrow">
      <h1>{title}</h1>
      <p role="alert">{message}</p>
      <p>
        <a href="/">Go to the start page</a>
      </p>
    </main>
  );
}
