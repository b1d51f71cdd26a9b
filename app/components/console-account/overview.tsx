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

const KEY_COLUMNS: readonly Column<Page["keys"][number]>[] = [
  {
    header: "Name",
    cell: (k) =>
      k.kind === "main" ? (
        <>
          {k.name} <span className="muted">(main)</span>
        </>
      ) : (
        k.name
      ),
  },
  { header: "Key", cell: (k) => <code>{k.display}</code> },
  { header: "Created", cell: (k) => <When at={k.createdAt} /> },
  { header: "Last used", cell: (k) => (k.lastUsedAt ? <When at={k.lastUsedAt} /> : <span className="muted">never</span>) },
  { header: "Spent this month", cell: (k) => formatCents(k.monthSpendCents), className: "mono" },
];

export function AccountKeys({ keys }: Pick<Page, "keys">) {
  return (
    <section className="card" aria-labelledby="keys-h">
      <h2 id="keys-h">API keys</h2>
      <p className="muted">Keys show their first characters and last four only; a caller quoting a key can be matched by either.</p>
      <DataTable caption="Active API keys of this account" columns={KEY_COLUMNS} rows={keys} rowKey={(k) => k.id} empty="This account has no active key." />
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
