import { data, type LoaderFunctionArgs, type MetaFunction } from "@remix-run/node";
import { Link, useLoaderData } from "@remix-run/react";
import { z } from "zod";
import { requireStaff } from "../auth/session.server.js";
import { Alert, Badge, When } from "../components/ui.js";
import { pageTitle } from "../page-title.js";
import { loadConsoleSearchPage, SEARCH_MIN_LENGTH, type ConsoleSearchPage } from "../presenters/console-search.server.js";
import { storableText } from "../validation/text.js";

const MAX_LENGTH = 200;
const HINT = "Search by email, name, account or ticket id, a key's prefix (tgp_v1_AbCd) or last four, a ticket's address, or a workflow id.";

const Query = z.object({
  q: z
    .string()
    .max(MAX_LENGTH, `The search is too long: ${MAX_LENGTH} characters at most.`)
    // NUL would fail the query in PostgreSQL; a lone surrogate would be searched for as U+FFFD.
    .superRefine(storableText("The search"))
    .transform((s) => s.trim())
    .default(""),
});

type Refused = { term: string; message: string; refused: boolean; results: null };

export async function loader({ request, context }: LoaderFunctionArgs) {
  // Every staff role may look accounts up.
  await requireStaff(request, context, "view_console");
  const url = new URL(request.url);
  const typed = (url.searchParams.get("q") ?? "").slice(0, MAX_LENGTH);
  const refuse = (message: string, status: number) => data<Refused>({ term: typed, message, refused: status >= 400, results: null }, { status });
  // Percent-escapes that are not UTF-8 (`%ED%A0%80`, a lone surrogate; `%FF`) reach the loader as U+FFFD:
  // the bytes are gone by then (Remix re-serializes the query), and no stored text is searched by it.
  if (typed.includes("\uFFFD")) return refuse("The search must be valid UTF-8 text. Remove the odd character and try again.", 400);
  const parsed = Query.safeParse({ q: url.searchParams.get("q") ?? undefined });
  if (!parsed.success) return refuse(`${parsed.error.issues[0]?.message ?? "That is not a search."} Try again.`, 400);
  const term = parsed.data.q;
  if (term === "") return refuse(HINT, 200);
  if ([...term].length < SEARCH_MIN_LENGTH) return refuse(`Type at least ${SEARCH_MIN_LENGTH} characters: shorter terms match almost everything.`, 200);
  return data({ term, message: null, refused: false, results: await loadConsoleSearchPage(context.services, term) });
}

export const meta: MetaFunction<typeof loader> = ({ data }) => pageTitle(data?.results ? `Search “${data.term.slice(0, 40)}”` : "Search", "Console");

/** "12", or "1,000+" / "607+" when a limit stopped the count. */
const count = (n: number, more: boolean) => `${n.toLocaleString("en-US")}${more ? "+" : ""}`;

/** "3", or "10 of 1,000+" when not every match is shown. */
function GroupHeading({ id, title, shown, total, more }: { id: string; title: string; shown: number; total: number; more: boolean }) {
  return (
    <h2 id={id}>
      {`${title} `}
      <span className="muted">{`· ${shown < total || more ? `${shown} of ${count(total, more)}` : total}`}</span>
    </h2>
  );
}

function Accounts({ found }: { found: ConsoleSearchPage["accounts"] }) {
  if (found.total === 0) return null;
  return (
    <section aria-labelledby="found-accounts" className="search-group">
      <GroupHeading id="found-accounts" title="Accounts" shown={found.hits.length} total={found.total} more={found.more} />
      <ul className="search-hits">
        {found.hits.map((a) => (
          <li key={a.id}>
            <Link to={`/console/accounts/${a.id}`}>{a.name}</Link> <Badge value={a.status} />
            <div className="muted">{a.owner_email ?? "no owner address"}</div>
            <div className="muted">
              {`${a.field}: `}
              <span className="mono">{a.value}</span>
            </div>
          </li>
        ))}
      </ul>
      {found.hits.length < found.total || found.more ? (
        <p>
          <Link to={found.listHref}>All accounts whose email or id matches →</Link>
        </p>
      ) : null}
    </section>
  );
}

function Tickets({ found }: { found: ConsoleSearchPage["tickets"] }) {
  if (found.total === 0) return null;
  return (
    <section aria-labelledby="found-tickets" className="search-group">
      <GroupHeading id="found-tickets" title="Tickets" shown={found.hits.length} total={found.total} more={found.more} />
      <ul className="search-hits">
        {found.hits.map((t) => (
          <li key={t.id}>
            <Link to={`/console/tickets/${t.id}`} className="mono">
              Ticket {t.id.slice(0, 8)}…
            </Link>{" "}
            <Badge value={t.status} />
            <div className="muted">{`${t.requester_address ?? "unknown requester"} → ${t.new_address ?? "—"}`}</div>
            <div className="muted">
              {`${t.field}: `}
              <span className="mono">{t.value}</span>
              {" · opened "}
              <When at={t.created_at} />
            </div>
          </li>
        ))}
      </ul>
    </section>
  );
}

function Workflows({ hits }: { hits: ConsoleSearchPage["workflows"] }) {
  if (hits.length === 0) return null;
  return (
    <section aria-labelledby="found-workflows" className="search-group">
      <h2 id="found-workflows">
        Workflows <span className="muted">{`· ${hits.length}`}</span>
      </h2>
      <ul className="search-hits">
        {hits.map((w) => (
          <li key={w.href}>
            <Link to={w.href} className="mono">
              {w.label}
            </Link>
          </li>
        ))}
      </ul>
    </section>
  );
}

export default function ConsoleSearch() {
  const { term, message, refused, results } = useLoaderData<typeof loader>();
  return (
    <main className="page stack">
      <h1>{results ? `Search: “${term}”` : "Search"}</h1>
      {message ? <Alert kind={refused ? "error" : "info"} lines={[message]} /> : null}
      {results ? (
        results.nothing ? (
          <Alert kind="info" lines={[`Nothing matches “${term}”.`, HINT]} />
        ) : (
          <>
            <Accounts found={results.accounts} />
            <Tickets found={results.tickets} />
            <Workflows hits={results.workflows} />
          </>
        )
      ) : null}
    </main>
  );
}
