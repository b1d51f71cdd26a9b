/**
 * Settings → Notifications: which mailing lists the signed-in person is on,
 * and which security mail they get. Each is one form that saves its whole set
 * (ticked = wanted): app/services/notifications.server.ts audits every change
 * and mirrors subscriptions to the mailing-list provider (when one is configured).
 * The critical security mail cannot be turned off: its boxes are ticked and disabled.
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
import { saveSecurityMailChoices, saveSubscriptions } from "../services/notifications.server.js";
import { pageTitle } from "../page-title.js";

export const meta: MetaFunction = () => pageTitle("Notifications", "Settings");

export async function loader({ request, context }: LoaderFunctionArgs) {
  const p = await requireUser(request, context);
  return loadNotificationsPage(context.services, p.userId);
}

/** Ticked boxes arrive as repeated `list` fields; an id is a short slug (the lists table's own check). */
const Lists = z.array(z.string().max(64)).max(100);
/** Ticked security-mail kinds arrive as repeated `security` fields. */
const SecurityKinds = z.array(z.string().max(64)).max(50);

type ActionResult = { form: "lists" | "security_mail"; saved: boolean; changed: number; error: string | null };

export async function action({ request, context }: ActionFunctionArgs) {
  const form = await readFormWithCsrf(request, context);
  const p = await requireUser(request, context);
  // The lists form posted no intent before the security-mail form existed; it still means the lists.
  if (form.get("intent") === "security_mail") {
    const kinds = SecurityKinds.safeParse(form.getAll("security"));
    const saved = kinds.success ? await saveSecurityMailChoices(context.services, p.userId, kinds.data, { type: "user", id: p.userId, ip: context.ip }) : null;
    if (!saved?.ok) {
      return data<ActionResult>(
        {
          form: "security_mail",
          saved: false,
          changed: 0,
          error: "One of the kinds of security mail you chose does not exist. Nothing was changed: reload the page and choose again.",
        },
        { status: 400 },
      );
    }
    return data<ActionResult>({ form: "security_mail", saved: true, changed: saved.changed ? 1 : 0, error: null });
  }
  const parsed = Lists.safeParse(form.getAll("list"));
  const saved = parsed.success ? await saveSubscriptions(context.services, p.userId, parsed.data, { type: "user", id: p.userId, ip: context.ip }) : null;
  if (!saved?.ok) {
    // Nothing is saved: a half-applied set would be worse than none.
    return data<ActionResult>(
      {
        form: "lists",
        saved: false,
        changed: 0,
        error: "One of the lists you chose does not exist (any more). Nothing was changed: reload the page and choose again.",
      },
      { status: 400 },
    );
  }
  return data<ActionResult>({ form: "lists", saved: true, changed: saved.changed, error: null });
}

export default function NotificationsPage() {
  const { lists, securityMail } = useLoaderData<typeof loader>();
  const outcome = useActionData<typeof action>();
  const listsOutcome = outcome?.form === "lists" ? outcome : null;
  const securityOutcome = outcome?.form === "security_mail" ? outcome : null;
  return (
    <section className="card" aria-labelledby="notifications-h">
      <h1 id="notifications-h">Notifications</h1>
      <p className="muted">
        Choose the mail you want from Switchboard. Mail about your account itself (sign-ins, transfers, deletion) always reaches you. Every list mail has a
        one-click unsubscribe link too.
      </p>
      <h2 id="lists-h">Mailing lists</h2>
      {listsOutcome?.error ? <Alert kind="error" lines={[listsOutcome.error]} /> : null}
      {listsOutcome?.saved ? <Alert kind="ok" lines={["Saved. Your choices apply to the next mail we send."]} /> : null}
      <Form method="post" action="/settings/notifications" aria-labelledby="lists-h">
        <AuthenticityTokenInput />
        <input type="hidden" name="intent" value="lists" />
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

      <h2 id="security-mail-h">Security mail</h2>
      <p className="muted" id="security-mail-desc">
        {securityMail.receives
          ? "As an owner or admin of an account, you get a short mail when its keys, password logins or members change, saying who did it and what to do if it wasn't them."
          : "Owners and admins of an account get a short mail when its keys, password logins or members change. You are not an owner or admin of any account now, so none reaches you; your choices are kept for when you are."}{" "}
        Mail about a key found public or a regenerated main key can't be turned off: it is how you learn that a key stopped working, or that someone may have
        it.
      </p>
      {securityOutcome?.error ? <Alert kind="error" lines={[securityOutcome.error]} /> : null}
      {securityOutcome?.saved ? <Alert kind="ok" lines={["Saved. Your security mail choices apply from the next change."]} /> : null}
      <Form method="post" action="/settings/notifications" aria-labelledby="security-mail-h">
        <AuthenticityTokenInput />
        <input type="hidden" name="intent" value="security_mail" />
        <fieldset className="stack" style={{ border: 0, padding: 0, margin: "0 0 1rem" }} aria-describedby="security-mail-desc">
          <legend className="sr-only">Security mail</legend>
          {securityMail.kinds.map((k) => (
            <div key={k.kind}>
              <label htmlFor={`security-${k.kind}`} style={{ display: "flex", gap: ".5rem", alignItems: "start" }}>
                <input
                  id={`security-${k.kind}`}
                  type="checkbox"
                  name="security"
                  value={k.kind}
                  defaultChecked={k.on}
                  disabled={k.critical}
                  aria-describedby={`security-${k.kind}-desc`}
                />
                <span>
                  <strong>{k.label}</strong>
                  <br />
                  <span id={`security-${k.kind}-desc`} className="muted">
                    {k.description}
                    {k.critical ? " Always sent: this one can't be turned off." : null}
                  </span>
                </span>
              </label>
            </div>
          ))}
        </fieldset>
        <button type="submit" className="btn primary">
          Save security mail
        </button>
      </Form>
    </section>
  );
}
