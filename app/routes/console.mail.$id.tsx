import type { LoaderFunctionArgs, MetaFunction } from "@remix-run/node";
import { Link, useLoaderData } from "@remix-run/react";
import { NOT_FOUND, requireStaff } from "../auth/session.server.js";
import { Badge, When } from "../components/ui.js";
import { isUuid } from "../models/accounts.server.js";
import { getOutboxMail } from "../mail/mailer.server.js";

export async function loader({ request, params, context }: LoaderFunctionArgs) {
  await requireStaff(request, context);
  const mail = isUuid(params.id ?? "") ? await getOutboxMail(context.services.db, params.id!) : undefined;
  if (!mail) throw NOT_FOUND();
  return { mail };
}

export const meta: MetaFunction<typeof loader> = ({ data }) => [{ title: `${data?.mail.subject ?? "Mail"} · Console` }];

/** Plain text with its http(s) links made clickable (the text itself is never HTML). */
function Linkified({ text }: { text: string }) {
  const parts = text.split(/(https?:\/\/[^\s<>"]+)/g);
  return (
    <pre style={{ whiteSpace: "pre-wrap", fontFamily: "var(--font)" }}>
      {parts.map((part, i) =>
        /^https?:\/\//.test(part) ? (
          <a key={i} href={part}>
            {part}
          </a>
        ) : (
          part
        ),
      )}
    </pre>
  );
}

export default function MailMessage() {
  const { mail } = useLoaderData<typeof loader>();
  return (
    <main className="page">
      <p>
        <Link to="/console/mail">← Mail</Link>
      </p>
      <h1>{mail.subject}</h1>
      <section className="card">
        <dl className="facts">
          <dt>To</dt>
          <dd>{mail.to_address ?? "(erased)"}</dd>
          <dt>Kind</dt>
          <dd>{mail.kind.replace(/_/g, " ")}</dd>
          <dt>Status</dt>
          <dd>
            <Badge value={mail.status} /> {mail.attempts > 0 ? `after ${mail.attempts} attempt${mail.attempts === 1 ? "" : "s"}` : null}
            {mail.last_error ? <span className="muted"> — last error: {mail.last_error}</span> : null}
          </dd>
          <dt>Created</dt>
          <dd>
            <When at={mail.created_at} />
          </dd>
          {mail.sent_at ? (
            <>
              <dt>Sent</dt>
              <dd>
                <When at={mail.sent_at} />
              </dd>
            </>
          ) : null}
          {Object.entries(mail.headers).map(([k, v]) => (
            <div key={k} style={{ display: "contents" }}>
              <dt>{k}</dt>
              <dd className="mono">{v}</dd>
            </div>
          ))}
        </dl>
      </section>
      <section className="card" aria-label="Message">
        <Linkified text={mail.text_body} />
      </section>
    </main>
  );
}
