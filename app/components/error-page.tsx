/**
 * What a failed page says, inside whichever shell caught it (the settings or
 * console layout, or the bare root): what happened, and what to do next.
 */
import { isRouteErrorResponse, Link, useRouteError } from "@remix-run/react";

export type ErrorView = { status: number | null; title: string; message: string };

const GENERIC = "An unexpected error happened. Try again in a moment; if it keeps happening, contact support.";

/** A thrown Response's text is written for people (every `throw new Response("…")` in the routes); anything else is not shown. */
export function errorView(error: unknown): ErrorView {
  if (!isRouteErrorResponse(error)) return { status: null, title: "Something went wrong", message: GENERIC };
  const said =
    typeof error.data === "string" && error.data && error.data !== "Not Found" && !error.data.startsWith("Error: No route matches") ? error.data : null;
  switch (error.status) {
    case 404:
      return { status: 404, title: "Page not found", message: said ?? "There is nothing at this address. Check the link, or use the links above." };
    case 403:
      return { status: 403, title: "Not allowed", message: said ?? "Your role does not allow this page. Ask an owner or an admin if you need it." };
    case 400:
    case 413:
    case 422:
      return {
        status: error.status,
        title: "That request could not be used",
        message: said ?? "Something in the request was not valid. Go back and try again.",
      };
    default:
      return { status: error.status, title: error.status >= 500 ? "Something went wrong" : `Error ${error.status}`, message: said ?? GENERIC };
  }
}

export function ErrorPage({ home }: { home: { to: string; label: string } }) {
  const view = errorView(useRouteError());
  return (
    <section className="error-page" aria-labelledby="error-title">
      <h1 id="error-title">{view.title}</h1>
      <p role="alert">{view.message}</p>
      <p className="row">
        <Link to={home.to} className="btn primary">
          {home.label}
        </Link>
        {view.status === null || view.status >= 500 ? (
          // A plain link: reloading is what "try again" means after a crash.
          <a href="" className="btn">
            Try again
          </a>
        ) : null}
      </p>
    </section>
  );
}
