/**
 * The requester's view of their email-transfer ticket (app/presenters/support-ticket.server.ts
 * reads it). Only the person who asked sees it (anyone else gets a 404: the page
 * does not admit the ticket exists); they may withdraw it while it waits.
 */
import type { ActionFunctionArgs, LoaderFunctionArgs, MetaFunction } from "@remix-run/node";
import { data } from "@remix-run/node";
import { Form, Link, useActionData, useLoaderData, useNavigation } from "@remix-run/react";
import { AuthenticityTokenInput } from "remix-utils/csrf/react";
import { z } from "zod";
import { readFormWithCsrf } from "../auth/csrf.server.js";
import { NOT_FOUND, requireUser } from "../auth/session.server.js";
import { Alert, Badge, customerLinks, TopBar, When } from "../components/ui.js";
import { useAutoRefresh } from "../hooks/use-auto-refresh.js";
import { pageTitle } from "../page-title.js";
import { loadSupportTicketPage, type StageState } from "../presenters/support-ticket.server.js";
import { withdrawOwnTransfer } from "../services/transfer.server.js";

export const meta: MetaFunction<typeof loader> = ({ data: page }) =>
  pageTitle(page ? `Transfer request: ${page.ticket.status.replace(/_/g, " ")}` : "Transfer request", "Support");

const Params = z.object({ id: z.string().uuid() });

export async function loader({ request, params, context }: LoaderFunctionArgs) {
  const p = await requireUser(request, context);
  // A malformed id is simply not a ticket (and never reaches PostgreSQL's uuid parser).
  const parsed = Params.safeParse(params);
  if (!parsed.success) throw NOT_FOUND();
  const page = await loadSupportTicketPage(context.services, { ticketId: parsed.data.id, userId: p.userId, accountId: p.accountId });
  if (!page) throw NOT_FOUND();
  return page;
}

/** The requester withdraws their own request; the workflow refuses once support has decided or the move has begun. */
export async function action({ request, params, context }: ActionFunctionArgs) {
  // The form (and its CSRF token) first, as every action: a forged post is refused before anything else.
  await readFormWithCsrf(request, context);
  const p = await requireUser(request, context);
  const parsed = Params.safeParse(params);
  if (!parsed.success) throw NOT_FOUND();
  const result = await withdrawOwnTransfer(context.services, { ticketId: parsed.data.id, userId: p.userId });
  if (result === "not_found") throw NOT_FOUND();
  return data({ error: result.ok ? null : result.message }, { status: result.ok ? 200 : 409 });
}

const REFRESH_MS = 2000;

export default function TicketPage() {
  const { email, ticket, open, withdrawable, stages, checks, outcome } = useLoaderData<typeof loader>();
  const withdrawal = useActionData<typeof action>();
  const navigation = useNavigation();
  useAutoRefresh(REFRESH_MS, open);

  return (
    <>
      {/* Without JavaScript the page still follows the request to its end; with it, the revalidator does. */}
      {open ? (
        <noscript>
          <meta httpEquiv="refresh" content={String(REFRESH_MS / 1000)} />
        </noscript>
      ) : null}
      <TopBar links={customerLinks(false)} who={email} />
      <main className="page">
        <p>
          <Link to="/settings/email">← Settings → Email</Link>
        </p>
        <h1>
          Moving your account to a new address <Badge value={ticket.status} />
        </h1>
        <p className="muted">
          Requested <When at={ticket.createdAt} />
          {ticket.newAddress ? <> · new address: {ticket.newAddress}</> : null} · ticket <span className="mono">{ticket.id}</span>
        </p>
        <Alert kind={outcome.kind} lines={outcome.lines} />
        {withdrawal?.error ? <Alert kind="error" lines={[withdrawal.error]} /> : null}
        {withdrawable ? (
          <Form method="post" className="card" aria-labelledby="withdraw-h">
            <h2 id="withdraw-h">Changed your mind?</h2>
            <p>Withdraw this request: nothing is moved, the confirmation link stops working, and your account stays as it is. You can ask again later.</p>
            <AuthenticityTokenInput />
            <button type="submit" name="intent" value="withdraw" className="btn danger" disabled={navigation.state === "submitting"}>
              {navigation.state === "submitting" ? "Withdrawing…" : "Withdraw request"}
            </button>
          </Form>
        ) : null}

        <div className="grid">
          <section className="card" aria-labelledby="steps-h">
            <h2 id="steps-h">Steps</h2>
            <ol className="timeline">
              {stages.map((s) => (
                <li
                  key={s.key}
                  className={s.state === "failed" || s.state === "todo" ? s.state : undefined}
                  aria-current={s.state === "current" ? "step" : undefined}
                >
                  {s.state === "current" ? <strong>{s.label}</strong> : s.label} <span className="sr-only">({STATE_WORDS[s.state]})</span>
                  {s.state === "current" ? <span className="badge running">in progress</span> : null}
                  {s.state === "failed" ? <span className="badge failed">stopped here</span> : null}
                  {s.at ? (
                    <>
                      {" "}
                      <span className="muted">
                        <When at={s.at} />
                      </span>
                    </>
                  ) : null}
                  {s.detail ? <div className={s.state === "failed" ? undefined : "muted"}>{s.detail}</div> : null}
                </li>
              ))}
            </ol>
          </section>

          <section className="card" aria-labelledby="checks-h">
            <h2 id="checks-h">Checks</h2>
            {checks.length === 0 ? (
              <p className="muted">Not checked yet.</p>
            ) : (
              <ul className="stack" style={{ listStyle: "none", paddingLeft: 0 }}>
                {checks.map((c) => (
                  <li key={c.code}>
                    <span className={`badge ${c.state === "passed" ? "ok" : c.state === "failed" ? "failed" : ""}`}>{c.state.replace("_", " ")}</span> {c.words}
                  </li>
                ))}
              </ul>
            )}
          </section>
        </div>
      </main>
    </>
  );
}

const STATE_WORDS: Record<StageState, string> = { done: "done", current: "in progress", failed: "stopped here", todo: "not reached" };
