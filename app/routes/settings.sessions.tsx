import type { ActionFunctionArgs, LoaderFunctionArgs, MetaFunction } from "@remix-run/node";
import { redirect } from "@remix-run/node";
import { Form, useLoaderData } from "@remix-run/react";
import { AuthenticityTokenInput } from "remix-utils/csrf/react";
import { z } from "zod";
import { readFormWithCsrf } from "../auth/csrf.server.js";
import { clearSessionCookie, requireUser } from "../auth/session.server.js";
import { ConfirmAction } from "../components/confirm-dialog.js";
import { DataTable } from "../components/table.js";
import { When } from "../components/ui.js";
import { loadSessionsPage } from "../presenters/sessions-page.server.js";
import { endAllSessions, endOwnSession } from "../services/customer-sessions.server.js";
import { pageTitle } from "../page-title.js";

export const meta: MetaFunction = () => pageTitle("Sessions", "Settings");

export async function loader({ request, context }: LoaderFunctionArgs) {
  const p = await requireUser(request, context);
  return loadSessionsPage(context.services, p);
}

const Intent = z.discriminatedUnion("intent", [
  z.object({ intent: z.literal("end"), sessionId: z.string().uuid() }),
  z.object({ intent: z.literal("end_all") }),
]);

export async function action({ request, context }: ActionFunctionArgs) {
  const form = await readFormWithCsrf(request, context);
  const p = await requireUser(request, context);
  const parsed = Intent.safeParse(Object.fromEntries(form));
  if (!parsed.success) throw new Response("Unknown request: reload the page and try again.", { status: 400 });
  const actor = { type: "user" as const, id: p.userId, ip: context.ip };
  if (parsed.data.intent === "end_all") {
    await endAllSessions(context.services, p.userId, actor);
    throw redirect("/login?signedOut", { headers: { "Set-Cookie": await clearSessionCookie(context) } });
  }
  const { sessionId } = parsed.data;
  if (!(await endOwnSession(context.services, p.userId, sessionId, actor))) {
    throw new Response("That session does not exist or has already ended.", { status: 404 });
  }
  if (sessionId === p.sessionId) {
    throw redirect("/login?signedOut", { headers: { "Set-Cookie": await clearSessionCookie(context) } });
  }
  return { ended: sessionId };
}

export default function SessionsPage() {
  const { current, sessions } = useLoaderData<typeof loader>();
  return (
    <section className="card">
      <h1>Active sessions</h1>
      <p className="muted">Every browser signed in to your user. End any you don't recognise.</p>
      <DataTable
        caption="Browsers signed in to your user"
        rows={sessions}
        rowKey={(s) => s.id}
        empty="No active sessions."
        columns={[
          {
            header: "Signed in",
            cell: (s) => (
              <>
                <When at={s.created_at} /> {s.id === current ? <strong>(this browser)</strong> : null}
              </>
            ),
          },
          { header: "Last seen", cell: (s) => <When at={s.last_seen_at} /> },
          { header: "Via", cell: (s) => s.provider },
          { header: "From", cell: (s) => s.ip ?? "—" },
          { header: "Browser", className: "muted", cell: (s) => (s.user_agent ?? "—").slice(0, 60) },
          {
            header: <span className="sr-only">Actions</span>,
            key: "actions",
            cell: (s) => (
              <Form method="post">
                <AuthenticityTokenInput />
                <input type="hidden" name="sessionId" value={s.id} />
                <button className="btn" name="intent" value="end" type="submit">
                  Sign out<span className="sr-only">{s.id === current ? " this browser" : ` the session from ${s.ip ?? "an unknown address"}`}</span>
                </button>
              </Form>
            ),
          },
        ]}
      />
      <div className="sessions-all">
        <ConfirmAction
          label="Sign out everywhere"
          title="Sign out of every browser?"
          description={<p>Every session of your user ends at once, this one included; you sign in again here afterwards.</p>}
        >
          <Form method="post">
            <AuthenticityTokenInput />
            <button className="btn danger" name="intent" value="end_all" type="submit">
              Sign out everywhere
            </button>
          </Form>
        </ConfirmAction>
      </div>
    </section>
  );
}
