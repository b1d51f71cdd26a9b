/**
 * The console account page's overview, read before anything is done: the
 * account's facts, its API keys (so support can answer "which key is this?"),
 * its members and its latest audit rows.
 */
import { Link } from "@remix-run/react";
import { formatCents } from "../../models/money.js";
import type { ConsoleAccountPage } from "../../presenters/console-account.server.js";
import { AuditTable } from "../audit-table.js";
import { DataTable, type Column } from "../table.js";
import { Badge, When } from "../ui.js";

type Page = ConsoleAccountPage;

export function AccountFacts({
  account,
  plan,
  passwordLogins,
  activeSessions,
  credits,
}: Pick<Page, "account" | "plan" | "passwordLogins" | "activeSessions" | "credits">) {
  return (
    <section className="card" aria-labelledby="overview-h">
      <h2 id="overview-h">Overview</h2>
      <dl className="facts account-facts">
        <dt>Status</dt>
        <dd>
          <Badge value={account.status} />
          {account.blocked_reason_code ? ` (${account.blocked_reason_code})` : null}
        </dd>
        <dt>Plan</dt>
        <dd>
          {plan.label} <span className="muted">{`(allows ${plan.allows.join(", ")})`}</span>
        </dd>
        <dt>Balance</dt>
        <dd>
          <strong>{formatCents(credits.balanceCents)}</strong>
        </dd>
        <dt>Credit limit</dt>
        <dd>
          {formatCents(credits.creditLimitCents)} (usage continues down to {formatCents(-BigInt(credits.creditLimitCents))})
        </dd>
        {passwordLogins.shown ? (
          <>
            <dt>Password logins</dt>
            <dd>
              {passwordLogins.enabled ? "on" : "off"}
              {passwordLogins.enabled && passwordLogins.loginId ? (
                <>
                  {" · account identifier "}
                  <code>{passwordLogins.loginId}</code>
                </>
              ) : null}
              {` · ${passwordLogins.count} login${passwordLogins.count === 1 ? "" : "s"}`}
            </dd>
          </>
        ) : null}
        <dt>Active sessions</dt>
        <dd>{activeSessions}</dd>
        <dt>Created</dt>
        <dd>
          <When at={account.created_at} />
        </dd>
        <dt>Id</dt>
        <dd className="mono">{account.id}</dd>
      </dl>
    </section>
  );
}

type ConsoleKey = Page["keys"][number];

const KIND_WORDS: Record<ConsoleKey["role"], string> = { primary_main: "main, primary", rolled_main: "main, rolled", additional: "additional" };

/** When the key stops: a rolled main key's window, an additional key's chosen date, or never. */
function KeyExpiry({ k }: { k: ConsoleKey }) {
  if (k.state === "leaked" || k.state === "revoked") return <span className="muted">—</span>;
  if (!k.expiresAt) return <span className="muted">never</span>;
  const words = k.state === "expired" ? "expired" : k.role === "rolled_main" ? "old key ends" : "expires";
  return (
    <>
      {words} <When at={k.expiresAt} />
    </>
  );
}

function KeyState({ k }: { k: ConsoleKey }) {
  if (!k.leaked) return <Badge value={k.state} />;
  const where = k.leaked.href ? (
    // Reported by a scanner, so never trusted: a new tab, no referrer, no opener, no endorsement.
    <a href={k.leaked.href} target="_blank" rel="noopener noreferrer nofollow">
      {k.leaked.url}
    </a>
  ) : (
    <code>{k.leaked.url || "(no address given)"}</code>
  );
  return (
    <>
      <Badge value="revoked" /> <span className="key-leaked">found public at {where}</span>
      <span className="cell-detail muted">
        <When at={k.leaked.at} />
      </span>
    </>
  );
}

const KEY_COLUMNS: readonly Column<ConsoleKey>[] = [
  {
    header: "Name",
    cell: (k) => (
      <>
        {k.name}
        <span className="cell-detail muted">{KIND_WORDS[k.role]}</span>
      </>
    ),
  },
  {
    header: "Key",
    cell: (k) => (
      <>
        <code>{k.display}</code>
        {k.oldFormat ? (
          <span className="cell-detail">
            <Badge value="old_format" />
          </span>
        ) : null}
      </>
    ),
  },
  { header: "Created", cell: (k) => <When at={k.createdAt} /> },
  {
    header: "Last used",
    cell: (k) => (
      <>
        {k.lastUsedAt ? <When at={k.lastUsedAt} /> : <span className="muted">never</span>}
        {k.idle ? (
          <span className="cell-detail">
            <Badge value="idle" />
          </span>
        ) : null}
      </>
    ),
  },
  { header: "Expires", cell: (k) => <KeyExpiry k={k} /> },
  {
    header: "Spent this month",
    cell: (k) => (
      <>
        {formatCents(k.monthSpendCents)}
        <span className="cell-detail muted">{k.spendLimitCents ? `of ${formatCents(k.spendLimitCents)} limit` : "no limit"}</span>
      </>
    ),
    className: "mono",
  },
  { header: "Status", cell: (k) => <KeyState k={k} /> },
];

export function AccountKeys({ keys, leakedShownDays }: Pick<Page, "keys" | "leakedShownDays">) {
  return (
    <section className="card console-keys" aria-labelledby="keys-h">
      <h2 id="keys-h">API keys</h2>
      <p className="muted">
        Keys show their first characters and last four only; a caller quoting a key can be matched by either. Keys revoked as leaked stay listed for{" "}
        {leakedShownDays} days. Keys are changed by the account&apos;s owner and admins in Settings → API keys, not here.
      </p>
      <DataTable
        caption={`API keys of this account: live ones, and those revoked as leaked in the last ${leakedShownDays} days`}
        columns={KEY_COLUMNS}
        rows={keys}
        rowKey={(k) => k.id}
        empty="This account has no active key."
      />
    </section>
  );
}

const MEMBER_COLUMNS: readonly Column<Page["members"][number]>[] = [
  {
    header: "Member",
    cell: (m) => (m.provider === "password" ? <code>{m.name}</code> : (m.email ?? <span className="muted">(erased)</span>)),
  },
  { header: "Role", cell: (m) => m.role },
  { header: "Signs in with", cell: (m) => (m.provider === "password" ? "username and password" : m.provider) },
  { header: "Member since", cell: (m) => <When at={m.created_at} /> },
];

export function AccountMembers({ members }: Pick<Page, "members">) {
  return (
    <section className="card" aria-labelledby="members-h">
      <h2 id="members-h">Members</h2>
      <DataTable caption="Members of this account" columns={MEMBER_COLUMNS} rows={members} rowKey={(m) => m.id} empty="No members." />
    </section>
  );
}

export function RecentActivity({ audit, auditHref }: Pick<Page, "audit" | "auditHref">) {
  return (
    <section className="card" aria-labelledby="activity-h">
      <h2 id="activity-h">Recent activity</h2>
      <AuditTable rows={audit} empty="No audit rows for this account." />
      <p>
        <Link to={auditHref}>Full audit trail of this account</Link>
      </p>
    </section>
  );
}
