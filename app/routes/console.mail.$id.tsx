import type { LoaderFunctionArgs, MetaFunction } from "@remix-run/node";
import { Link, useLoaderData } from "@remix-run/react";
import { NOT_FOUND, requireStaff } from "../auth/session.server.js";
import { Badge, When } from "../components/ui.js";
import { MASK } from "../mail/link-tokens.js";
import { pageTitle } from "../page-title.js";
import { loadMailMessagePage } from "../presenters/console-mail.server.js";

export async function loader({ request, params, context }: LoaderFunctionArgs) {
  await requireStaff(request, context);
  const page = await loadMailMessagePage(context.services, params.id ?? "");
  if (!page) throw NOT_FOUND();
  return page;
}

export const meta: MetaFunction<typeof loader> = ({ data }) => pageTitle(data?.mail.subject ?? "Mail", "Mail", "Console");

/** Plain text with its http(s) links made clickable (the text itself is never HTML); a masked link is text, as it leads nowhere. */
function Linkified({ text }: { text: string }) {
  const parts = text.split(/(https?:\/\/[^\s<>"]+)/g);
  return (
    <pre style={{ whiteSpace: "pre-wrap", fontFamily: "var(--font)" }}>
      {parts.map((part, i) =>
        /^https?:\/\//.test(part) && !part.includes(MASK) ? (
          <a key={i} href={part}>
            {part}
          </a>
        ) : part.includes(MASK) ? (
          <span key={i} className="mono" title="Token masked: only the recipient's copy has the link">
            {part}
          </span>
        ) : (
          part
        ),
      )}
    </pre>
  );
}

export default function MailMessage() {
  const { mail, linksInFull, retentionDays } = useLoaderData<typeof loader>();
  return (
    <main className="page">
      <p>
        <Link to="/console/mail">← Mail</Link>
      </p>
      <h1>{mail.subject}</h1>
      <section className="card">
        {/* Long addresses and header values wrap instead of widening the page on a phone. */}
        <dl className="facts" style={{ overflowWrap: "anywhere" }}>
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
        {mail.body_purged_at ? (
          <p className="muted">
            Body purged after {retentionDays} days, on <When at={mail.body_purged_at} />. Mail keeps its body only that long once sent
            (MAIL_BODY_RETENTION_DAYS); the headers and status above stay.
          </p>
        ) : (
          <>
            <p className="muted">
              {linksInFull
                ? "No SMTP server is configured, so this outbox is the recipient's only copy: its links are shown in full."
                : "Link tokens are masked (••••••, then the last four characters): only the recipient's copy carries the live link."}
            </p>
            <Linkified text={mail.text_body} />
          </>
        )}
      </section>
    </main>
  );
}
