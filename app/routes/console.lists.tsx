/**
 * Console → Lists: the mailing lists with their subscriber counts and the
 * recent mail sent to them (every staff role), and "Send a mail to a list"
 * (admins only). A send is a list_mailings row, audited, then the listMailing
 * workflow, which puts one mail per subscriber in the outbox, each with its
 * own signed one-click unsubscribe link.
 */
import type { ActionFunctionArgs, LoaderFunctionArgs, MetaFunction } from "@remix-run/node";
import { data, redirect } from "@remix-run/node";
import { Form, Link, useActionData, useLoaderData } from "@remix-run/react";
import { sql } from "kysely";
import { AuthenticityTokenInput } from "remix-utils/csrf/react";
import { z } from "zod";
import type { DbOrTrx } from "../../db/connection.js";
import { listMailingWorkflowId } from "../../workflows/shared.js";
import { sendListMailing } from "../services/list-mailing.server.js";
import { readFormWithCsrf } from "../auth/csrf.server.js";
import { requireStaff } from "../auth/session.server.js";
import { staffCan } from "../permissions.js";
import { Alert, Badge, EmptyState, When } from "../components/ui.js";
import { workflowHref } from "../components/workflow-list.js";

export const meta: MetaFunction = () => [{ title: "Lists · Console" }];

const SUBJECT_MAX = 200;
const BODY_MAX = 20_000;
const RECENT = 20;

// ---- data (kept here until app/models/mailing.server.ts grows a console section) ----

async function listsWithCounts(db: DbOrTrx) {
  const rows = await db
    .selectFrom("mailing_lists as l")
    .leftJoin("mailing_subscriptions as s", (j) => j.onRef("s.list_id", "=", "l.id").on("s.subscribed", "=", true))
    .select(["l.id", "l.name", "l.description"])
    .select(sql<string>`count(s.id)`.as("subscribers"))
    .groupBy(["l.id", "l.name", "l.description", "l.position"])
    .orderBy("l.position")
    .execute();
  return rows.map((r) => ({ ...r, subscribers: Number(r.subscribers) }));
}

async function recentMailings(db: DbOrTrx) {
  return db
    .selectFrom("list_mailings as m")
    .innerJoin("mailing_lists as l", "l.id", "m.list_id")
    .select(["m.id", "m.subject", "m.status", "m.recipients", "m.created_at", "m.completed_at", "l.name as listName"])
    .orderBy("m.created_at", "desc")
    .orderBy("m.id", "desc")
    .limit(RECENT)
    .execute();
}

// ---- loader and action ----

export async function loader({ request, context }: LoaderFunctionArgs) {
  const p = await requireStaff(request, context);
  const { db } = context.services;
  const [lists, mailings] = await Promise.all([listsWithCounts(db), recentMailings(db)]);
  const sentParam = new URL(request.url).searchParams.get("sent");
  const sent = sentParam ? (mailings.find((m) => m.id === sentParam) ?? null) : null;
  return {
    lists,
    mailings: mailings.map((m) => ({
      id: m.id,
      list: m.listName,
      subject: m.subject,
      status: m.status,
      recipients: m.recipients,
      createdAt: m.created_at,
      completedAt: m.completed_at,
      workflowHref: workflowHref({ workflowId: listMailingWorkflowId(m.id) }),
    })),
    canSend: staffCan(p.staff.role, "send_list_mail"),
    sent: sent ? { subject: sent.subject, list: sent.listName, workflowHref: workflowHref({ workflowId: listMailingWorkflowId(sent.id) }) } : null,
  };
}

const Send = z.object({
  listId: z.string({ message: "Choose a list." }).min(1, "Choose a list.").max(64, "Choose a list."),
  subject: z
    .string({ message: "Enter a subject." })
    .trim()
    .min(1, "Enter a subject.")
    .max(SUBJECT_MAX, `A subject is at most ${SUBJECT_MAX} characters.`)
    .refine((s) => !/[\r\n]/.test(s), "A subject is one line."),
  // Browsers send a textarea's line breaks as CRLF; the mail text uses LF.
  body: z
    .string({ message: "Write the mail's text." })
    .transform((s) => s.replace(/\r\n?/g, "\n").trimEnd())
    .pipe(z.string().min(1, "Write the mail's text.").max(BODY_MAX, `The text is at most ${BODY_MAX} characters.`))
    .refine((s) => s.trim().length > 0, "Write the mail's text."),
});

type Field = "listId" | "subject" | "body";
type SendOutcome = { errors: Partial<Record<Field, string>>; error: string | null; values: Record<Field, string> };

export async function action({ request, context }: ActionFunctionArgs) {
  const form = await readFormWithCsrf(request, context);
  const p = await requireStaff(request, context, "send_list_mail");
  if (form.get("intent") !== "send") throw new Response("Unknown request: reload the page and try again.", { status: 400 });
  const { db } = context.services;
  const values: Record<Field, string> = {
    listId: String(form.get("listId") ?? "").slice(0, 64),
    subject: String(form.get("subject") ?? "").slice(0, SUBJECT_MAX * 2),
    body: String(form.get("body") ?? "").slice(0, BODY_MAX * 2),
  };
  const fail = (o: Partial<SendOutcome>, status: number) => data<SendOutcome>({ errors: {}, error: null, values, ...o }, { status });

  const parsed = Send.safeParse(Object.fromEntries(form));
  const errors: SendOutcome["errors"] = {};
  if (!parsed.success) {
    for (const issue of parsed.error.issues) {
      const field = issue.path[0] as Field | undefined;
      if ((field === "listId" || field === "subject" || field === "body") && !errors[field]) errors[field] = issue.message;
    }
  }
  const lists = await listsWithCounts(db);
  if (!errors.listId && !lists.some((l) => l.id === values.listId)) errors.listId = "Choose one of the lists.";
  if (!parsed.success || Object.keys(errors).length > 0) return fail({ errors }, 400);

  const actor = { type: "staff" as const, id: p.staff.id, ip: context.ip };
  const { listId, subject, body } = parsed.data;
  const sent = await sendListMailing(context.services, { listId, subject, text: body, staffId: p.staff.id }, actor);
  if (!sent.started) return fail({ error: "The workflow service did not accept the mailing, so nothing was sent. Try again in a moment." }, 503);
  const { mailingId } = sent;
  throw redirect(`/console/lists?sent=${mailingId}`);
}

// ---- page ----

export default function ListsPage() {
  const { lists, mailings, canSend, sent } = useLoaderData<typeof loader>();
  const outcome = useActionData<typeof action>();
  return (
    <main className="page">
      <h1>Mailing lists</h1>
      <p className="muted">
        The database is the list: people choose their lists in Settings → Notifications, and every list mail carries a one-click unsubscribe link.
      </p>
      {sent ? (
        <div className="alert ok" role="status">
          <p>
            Sending “{sent.subject}” to {sent.list}. <Link to={sent.workflowHref}>Follow its workflow</Link>
          </p>
        </div>
      ) : null}

      <section aria-labelledby="lists-h" className="card">
        <h2 id="lists-h">Lists</h2>
        <div className="table-wrap">
          <table>
            <thead>
              <tr>
                <th scope="col">List</th>
                <th scope="col">Description</th>
                <th scope="col">Subscribers</th>
              </tr>
            </thead>
            <tbody>
              {lists.map((l) => (
                <tr key={l.id}>
                  <td>
                    {l.name} <span className="muted mono">({l.id})</span>
                  </td>
                  <td>{l.description}</td>
                  <td data-list-subscribers={l.id}>{l.subscribers}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      </section>

      <section aria-labelledby="mailings-h" className="card">
        <h2 id="mailings-h">Recent list mail</h2>
        {mailings.length === 0 ? (
          <EmptyState>No mail has been sent to a list yet.</EmptyState>
        ) : (
          <div className="table-wrap">
            <table>
              <caption className="sr-only">The last {RECENT} mails to a list, newest first</caption>
              <thead>
                <tr>
                  <th scope="col">Created</th>
                  <th scope="col">List</th>
                  <th scope="col">Subject</th>
                  <th scope="col">Status</th>
                  <th scope="col">Recipients</th>
                  <th scope="col">Workflow</th>
                </tr>
              </thead>
              <tbody>
                {mailings.map((m) => (
                  <tr key={m.id}>
                    <td>
                      <When at={m.createdAt} />
                    </td>
                    <td>{m.list}</td>
                    <td>{m.subject}</td>
                    <td>
                      <Badge value={m.status} />
                    </td>
                    <td>{m.status === "sending" ? <span className="muted">—</span> : m.recipients}</td>
                    <td>
                      <Link to={m.workflowHref}>
                        Workflow<span className="sr-only"> of “{m.subject}”</span>
                      </Link>
                    </td>
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
        )}
      </section>

      <section aria-labelledby="send-h" className="card">
        <h2 id="send-h">Send a mail to a list</h2>
        {canSend ? (
          <SendForm lists={lists} outcome={outcome ?? null} />
        ) : (
          <p className="muted">Only admins send mail to a list. Ask an admin if a mail needs to go out.</p>
        )}
      </section>
    </main>
  );
}

function SendForm({ lists, outcome }: { lists: { id: string; name: string; subscribers: number }[]; outcome: SendOutcome | null }) {
  const errors = outcome?.errors ?? {};
  const values = outcome?.values ?? { listId: "", subject: "", body: "" };
  const described = (field: Field, hint?: string) => [errors[field] ? `send-${field}-error` : null, hint ?? null].filter(Boolean).join(" ") || undefined;
  const fieldError = (field: Field) =>
    errors[field] ? (
      <div id={`send-${field}-error`} className="field-error" role="alert">
        {errors[field]}
      </div>
    ) : null;
  return (
    <Form method="post" action="/console/lists" aria-labelledby="send-h">
      <AuthenticityTokenInput />
      {outcome?.error ? <Alert kind="error" lines={[outcome.error]} /> : null}
      <div className="field">
        <label htmlFor="send-listId">List</label>
        <select
          id="send-listId"
          name="listId"
          required
          defaultValue={values.listId}
          aria-invalid={errors.listId ? true : undefined}
          aria-describedby={described("listId")}
        >
          <option value="">Choose a list…</option>
          {lists.map((l) => (
            <option key={l.id} value={l.id}>
              {l.name} ({l.subscribers} {l.subscribers === 1 ? "subscriber" : "subscribers"})
            </option>
          ))}
        </select>
        {fieldError("listId")}
      </div>
      <div className="field">
        <label htmlFor="send-subject">Subject</label>
        <input
          id="send-subject"
          name="subject"
          type="text"
          required
          maxLength={SUBJECT_MAX}
          defaultValue={values.subject}
          aria-invalid={errors.subject ? true : undefined}
          aria-describedby={described("subject")}
        />
        {fieldError("subject")}
      </div>
      <div className="field">
        <label htmlFor="send-body">Text</label>
        <textarea
          id="send-body"
          name="body"
          required
          rows={10}
          maxLength={BODY_MAX}
          defaultValue={values.body}
          aria-invalid={errors.body ? true : undefined}
          aria-describedby={described("body", "send-body-hint")}
        />
        <div id="send-body-hint" className="hint">
          Plain text. Each mail ends with the person's own one-click unsubscribe link and a link to their Settings → Notifications.
        </div>
        {fieldError("body")}
      </div>
      <button type="submit" name="intent" value="send" className="btn primary">
        Send to every subscriber
      </button>
    </Form>
  );
}
