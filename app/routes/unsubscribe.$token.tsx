/**
 * The one-click unsubscribe link of every list mail (`List-Unsubscribe`).
 *
 * GET only shows a confirmation page: link scanners and prefetching mail
 * clients open links, so opening one must never unsubscribe anybody.
 * POST is RFC 8058 one-click: a mail client (or the button on that page)
 * posts `List-Unsubscribe=One-Click` to the very URL in the header, with no
 * cookies and often no Origin header.
 *
 * No sign-in and no CSRF token, on purpose: the signed token in the path is
 * the capability. It names exactly one subscription and carries an HMAC only
 * the server can make (app/mailing-lists/unsubscribe-token.server.ts), so a forged
 * or cross-site request cannot name anything its sender did not already hold
 * a valid link for, and the worst it can do is the harmless, idempotent act
 * the link's holder could do anyway: take that one subscription off its list.
 * A CSRF token would also make RFC 8058 impossible, since a mail client
 * posting from outside any browser session has no token to send.
 *
 * The person's address is never shown in full (links get forwarded), the page
 * is never cached, and no Referer carrying the token leaves the page.
 */
import type { ActionFunctionArgs, LoaderFunctionArgs, MetaFunction } from "@remix-run/node";
import { data } from "@remix-run/node";
import { Form, useActionData, useLoaderData, type ShouldRevalidateFunction } from "@remix-run/react";
import { Alert, TopBar } from "../components/ui.js";
import { verifyUnsubscribeToken } from "../mailing-lists/unsubscribe-token.server.js";
import { loadUnsubscribePage, subscriptionListName, type UnsubscribeView } from "../presenters/unsubscribe-page.server.js";
import { unsubscribeByLink } from "../services/notifications.server.js";
import { noStoreUnlessFetched, passCacheControl } from "../http/no-store.js";

export const meta: MetaFunction = () => [
  { title: "Unsubscribe · Switchboard" },
  // The token must never leave in a Referer (server/http-app.ts also sends this policy; see why not no-referrer there).
  { name: "referrer", content: "strict-origin" },
];

/**
 * Never stored (the Referrer-Policy comes from server/http-app.ts). Cache-Control only on
 * documents (as Settings → API keys does): Chromium cuts no-store `.data`
 * streams short, and a script's fetch is kept in no history anyway.
 */
const pageHeaders = noStoreUnlessFetched;
export const headers = passCacheControl;

/** The action's answer is the page: reloading the loader after it would turn "unsubscribed" into "not subscribed". */
export const shouldRevalidate: ShouldRevalidateFunction = ({ actionResult, defaultShouldRevalidate }) => (actionResult ? false : defaultShouldRevalidate);

type View = UnsubscribeView;

const answer = (request: Request, view: View, status = 200) => data<View>(view, { status, headers: pageHeaders(request) });
const INVALID: View = { state: "invalid" };
const ONE_CLICK_BODY =
  "This address unsubscribes with a form post whose body is List-Unsubscribe=One-Click (RFC 8058). Open the link from the mail and press the button.";

export async function loader({ request, params, context }: LoaderFunctionArgs) {
  const subscriptionId = verifyUnsubscribeToken(context.services.config.unsubscribe.secrets, params.token ?? "");
  if (!subscriptionId) return answer(request, INVALID, 400);
  return answer(request, await loadUnsubscribePage(context.services, subscriptionId));
}

/** application/x-www-form-urlencoded (what RFC 8058 prescribes) or multipart/form-data (what some clients send). */
function isFormBody(request: Request): boolean {
  const type = (request.headers.get("Content-Type") ?? "").split(";")[0]!.trim().toLowerCase();
  return type === "application/x-www-form-urlencoded" || type === "multipart/form-data";
}

export async function action({ request, params, context }: ActionFunctionArgs) {
  const subscriptionId = verifyUnsubscribeToken(context.services.config.unsubscribe.secrets, params.token ?? "");
  if (!subscriptionId) return answer(request, INVALID, 400);

  let oneClick = false;
  if (isFormBody(request)) {
    try {
      oneClick = (await request.formData()).get("List-Unsubscribe") === "One-Click";
    } catch {
      oneClick = false; // an unreadable body is a wrong body
    }
  }
  if (!oneClick) {
    const list = (await subscriptionListName(context.services, subscriptionId)) ?? "this list";
    return answer(request, { state: "confirm", list, who: null, error: ONE_CLICK_BODY }, 400);
  }
  return answer(request, await unsubscribeByLink(context.services, subscriptionId, { type: "anonymous", id: null, ip: context.ip }));
}

export default function UnsubscribePage() {
  const loaded = useLoaderData<typeof loader>();
  const acted = useActionData<typeof action>();
  const view = acted ?? loaded;
  return (
    <>
      <TopBar links={[{ to: "/", label: "Home" }]} />
      <main className="page narrow">
        <Body view={view} />
      </main>
    </>
  );
}

function Body({ view }: { view: View }) {
  switch (view.state) {
    case "confirm":
      return (
        <section className="card stack" aria-labelledby="unsub-h">
          <h1 id="unsub-h">{`Unsubscribe ${view.who ?? "this address"} from ${view.list}?`}</h1>
          {view.error ? <Alert kind="error" lines={[view.error]} /> : null}
          <p>{`You will no longer receive mail sent to the list “${view.list}”. Mail about your account itself still reaches you.`}</p>
          {/* A full-page post, no script needed; the same body a mail client sends. */}
          <Form method="post" reloadDocument>
            <input type="hidden" name="List-Unsubscribe" value="One-Click" />
            <button type="submit" className="btn primary">
              Unsubscribe
            </button>
          </Form>
          <p className="muted">
            To change all your lists at once, sign in and open <a href="/settings/notifications">Settings → Notifications</a>.
          </p>
        </section>
      );
    case "unsubscribed":
      return (
        <section className="card stack" aria-labelledby="done-h">
          <h1 id="done-h">{`You are unsubscribed from ${view.list}`}</h1>
          <Alert kind="ok" lines={[`You will not receive mail sent to “${view.list}” any more.`]} />
          <p className="muted">
            Changed your mind? Sign in and tick the list again in <a href="/settings/notifications">Settings → Notifications</a>.
          </p>
        </section>
      );
    case "not_subscribed":
      return (
        <section className="card stack" aria-labelledby="none-h">
          <h1 id="none-h">{view.list ? `You are not subscribed to ${view.list}` : "You are not subscribed"}</h1>
          <Alert
            kind="info"
            lines={["This address is not on that list (any more), so there is nothing to unsubscribe. No more list mail will be sent to it."]}
          />
          <p className="muted">
            To see your lists, sign in and open <a href="/settings/notifications">Settings → Notifications</a>.
          </p>
        </section>
      );
    case "invalid":
      return (
        <section className="card stack" aria-labelledby="invalid-h">
          <h1 id="invalid-h">This unsubscribe link is not valid</h1>
          <Alert
            kind="error"
            lines={[
              "The link may have been cut off or changed. Open the whole link from the mail again, or sign in and choose your lists in Settings → Notifications.",
            ]}
          />
          <p>
            <a href="/">Go to the start page</a>
          </p>
        </section>
      );
  }
}
