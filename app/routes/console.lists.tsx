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
import { useState } from "react";
import { AuthenticityTokenInput } from "remix-utils/csrf/react";
import { z } from "zod";
import { readFormWithCsrf } from "../auth/csrf.server.js";
import { requireStaff } from "../auth/session.server.js";
import { ConfirmAction } from "../components/confirm-dialog.js";
import { Field, fieldErrorsOf, SelectField, type FieldErrors } from "../components/forms.js";
import { DataTable } from "../components/table.js";
import { Alert, Badge, When } from "../components/ui.js";
import { pageTitle } from "../page-title.js";
import { isMailingList, loadListsPage } from "../presenters/console-lists.server.js";
import { sendListMailing } from "../services/list-mailing.server.js";

export const meta: MetaFunction = () => pageTitle("Mailing lists", "Console");

const SUBJECT_MAX = 200;
const BODY_MAX = 20_000;

export async function loader({ request, context }: LoaderFunctionArgs) {
  const p = await requireStaff(request, context);
  return loadListsPage(context.services, p.staff.role, new URL(request.url).searchParams.get("sent"));
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

const FIELDS = ["listId", "subject", "body"] as const;
type SendField = (typeof FIELDS)[number];
type SendOutcome = { errors: FieldErrors<SendField>; error: string | null; values: Record<SendField, string> };

export async function action({ request, context }: ActionFunctionArgs) {
  const form = await readFormWithCsrf(request, context);
  const p = await requireStaff(request, context, "send_list_mail");
  if (form.get("intent") !== "send") throw new Response("Unknown request: reload the page and try again.", { status: 400 });
  const values: Record<SendField, string> = {
    listId: String(form.get("listId") ?? "").slice(0, 64),
    subject: String(form.get("subject") ?? "").slice(0, SUBJECT_MAX * 2),
    body: String(form.get("body") ?? "").slice(0, BODY_MAX * 2),
  };
  const fail = (o: Partial<SendOutcome>, status: number) => data<SendOutcome>({ errors: {}, error: null, values, ...o }, { status });

  const parsed = Send.safeParse(Object.fromEntries(form));
  const errors: FieldErrors<SendField> = parsed.success ? {} : fieldErrorsOf(parsed.error, FIELDS).fieldErrors;
  if (!errors.listId && !(await isMailingList(context.services, values.listId))) errors.listId = "Choose one of the lists.";
  if (!parsed.success || Object.keys(errors).length > 0) return fail({ errors }, 400);

  const actor = { type: "staff" as const, id: p.staff.id, ip: context.ip };
  const { listId, subject, body } = parsed.data;
  const sent = await sendListMailing(context.services, { listId, subject, text: body, staffId: p.staff.id }, actor);
  if (!sent.started) return fail({ error: "The workflow service did not accept the mailing, so nothing was sent. Try again in a moment." }, 503);
  throw redirect(`/console/lists?sent=${sent.mailingId}`);
}

// ---- page ----

export default function ListsPage() {
  const { lists, recent, mailings, canSend, sent } = useLoaderData<typeof loader>();
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
        <DataTable
          caption="The mailing lists and how many people are subscribed"
          rows={lists}
          rowKey={(l) => l.id}
          empty="There are no mailing lists."
          columns={[
            {
              header: "List",
              cell: (l) => (
                <>
                  {l.name} <span className="muted mono">({l.id})</span>
                </>
              ),
            },
            { header: "Description", cell: (l) => l.description },
            { header: "Subscribers", cell: (l) => <span data-list-subscribers={l.id}>{l.subscribers}</span> },
          ]}
        />
      </section>

      <section aria-labelledby="mailings-h" className="card">
        <h2 id="mailings-h">Recent list mail</h2>
        <DataTable
          caption={`The last ${recent} mails to a list, newest first`}
          rows={mailings}
          rowKey={(m) => m.id}
          empty="No mail has been sent to a list yet."
          columns={[
            { header: "Created", cell: (m) => <When at={m.createdAt} /> },
            { header: "List", cell: (m) => m.list },
            { header: "Subject", cell: (m) => m.subject },
            { header: "Status", cell: (m) => <Badge value={m.status} /> },
            { header: "Recipients", cell: (m) => (m.status === "sending" ? <span className="muted">—</span> : m.recipients) },
            {
              header: "Workflow",
              cell: (m) => (
                <Link to={m.workflowHref}>
                  Workflow<span className="sr-only"> of “{m.subject}”</span>
                </Link>
              ),
            },
          ]}
        />
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
  // The mail is written on the page; only sending it asks first. The form's own errors come back on the page (no browser
  // validation: a required field outside the open dialog could not take focus), so the dialog closes as the form submits.
  const [confirming, setConfirming] = useState(false);
  return (
    <Form method="post" action="/console/lists" aria-labelledby="send-h" noValidate onSubmit={() => setConfirming(false)}>
      <AuthenticityTokenInput />
      {outcome?.error ? <Alert kind="error" lines={[outcome.error]} /> : null}
      <SelectField
        id="send-listId"
        label="List"
        error={errors.listId}
        options={[
          { value: "", label: "Choose a list…" },
          ...lists.map((l) => ({ value: l.id, label: `${l.name} (${l.subscribers} ${l.subscribers === 1 ? "subscriber" : "subscribers"})` })),
        ]}
        select={{ name: "listId", required: true, defaultValue: values.listId }}
      />
      <Field
        id="send-subject"
        label="Subject"
        error={errors.subject}
        input={{ name: "subject", type: "text", required: true, maxLength: SUBJECT_MAX, defaultValue: values.subject }}
      />
      <Field
        id="send-body"
        label="Text"
        error={errors.body}
        hint="Plain text. Each mail ends with the person's own one-click unsubscribe link and a link to their Settings → Notifications."
        textarea={{ name: "body", required: true, rows: 10, maxLength: BODY_MAX, defaultValue: values.body }}
      />
      <ConfirmAction
        label="Send to every subscriber…"
        title="Send this mail to every subscriber of the list?"
        description={<p>One mail per subscriber goes to the outbox at once, each with its own unsubscribe link. A sent mail cannot be called back.</p>}
        open={confirming}
        onOpenChange={setConfirming}
      >
        <button type="submit" name="intent" value="send" className="btn danger">
          Send to every subscriber
        </button>
      </ConfirmAction>
    </Form>
  );
}
