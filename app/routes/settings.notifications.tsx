/**
 * Settings → Notifications: which mailing lists the signed-in person is on.
 * One form saves the whole set (ticked = subscribed): app/services/notifications.server.ts
 * audits every change and mirrors it to the mailing-list provider (when one is configured).
 */
import type { ActionFunctionArgs, LoaderFunctionArgs, MetaFunction } from "@remix-run/node";
import { data } from "@remix-run/node";
import { Form, useActionData, useLoaderData } from "@remix-run/react";
import { AuthenticityTokenInput } from "remix-utils/csrf/react";
import { z } from "zod";
import { readFormWithCsrf } from "../auth/csrf.server.js";
import { requireUser } from "../auth/session.server.js";
import { Alert } from "../components/ui.js";
import { loadNotificationsPage } from "../presenters/notifications-page.server.js";
import { saveSubscriptions } from "../services/notifications.server.js";
import { pageTitle } from "../page-title.js";

export const meta: MetaFunction = () => pageTitle("Notifications", "Settings");

export async function loader({ request, context }: LoaderFunctionArgs) {
  const p = await requireUser(request, context);
  return loadNotificationsPage(context.services, p.userId);
}

/** Ticked boxes arrive as repeated `list` fields; an id is a short slug (the lists table's own check). */
const Lists = z.array(z.string().max(64)).max(100);

type ActionResult = { saved: boolean; changed: number; error: string | null };

export async function action({ request, context }: ActionFunctionArgs) {
  const form = await readFormWithCsrf(request, context);
  const p = await requireUser(request, context);
  const parsed = Lists.safeParse(form.getAll("list"));
  const saved = parsed.success ? await saveSubscriptions(context.services, p.userId, parsed.data, { type: "user", id: p.userId, ip: context.ip }) : null;
  if (!saved?.ok) {
    // Nothing is saved: a half-applied set would be worse than none.
    return data<ActionResult>(
      { saved: false, changed: 0, error: "One of the lists you chose does not exist (any more). Nothing was changed: reload the page and choose again." },
      { status: 400 },
    );
  }
  return data<ActionResult>({ saved: true, changed: saved.changed, error: null });
}

export default function NotificationsPage() {
  const { lists } = useLoaderData<typeof loader>();
  const outcome = useActionData<typeof action>();
  return (
    <section className="card" aria-labelledby="notifications-h">
      <h1 id="notifications-h">Notifications</h1>
      <p className="muted">
        Choose the mail you want from Switchboard. Mail about your account itself (sign-ins, transfers, deletion) always reaches you. Every list mail has a
        one-click unsubscribe link too.
      </p>
      {outcome?.error ? <Alert kind="error" lines={[outcome.error]} /> : null}
      {outcome?.saved ? <Alert kind="ok" lines={["Saved. Your choices apply to the next mail we send."]} /> : null}
      <Form method="post" action="/settings/notifications">
        <AuthenticityTokenInput />
        <fieldset className="stack" style={{ border: 0, padding: 0, margin: "0 0 1rem" }}>
          <legend className="sr-only">Mailing lists</legend>
          {lists.map((l) => (
            <div key={l.id}>
              <label htmlFor={`list-${l.id}`} style={{ display: "flex", gap: ".5rem", alignItems: "start" }}>
                <input id={`list-${l.id}`} type="checkbox" name="list" value={l.id} defaultChecked={l.subscribed} aria-describedby={`list-${l.id}-desc`} />
                <span>
                  <strong>{l.name}</strong>
                  <br />
                  <span id={`list-${l.id}-desc`} className="muted">
                    {l.description}
                  </span>
                </span>
              </label>
            </div>
          ))}
        </fieldset>
        <button type="submit" className="btn primary">
          Save
        </button>
      </Form>
    </section>
  );
}
