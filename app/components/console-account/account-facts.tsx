/** The console account page's first row: the account's facts and its users. */
import type { ConsoleAccountPage } from "../../presenters/console-account.server.js";
import { Badge, EmptyState, When } from "../ui.js";

export function AccountFacts({
  account,
  plan,
  passwordLogins,
  activeSessions,
  members,
}: Pick<ConsoleAccountPage, "account" | "plan" | "passwordLogins" | "activeSessions" | "members">) {
  return (
    <div className="grid">
      <section className="card">
        <h2>Account</h2>
        <dl className="facts">
          <dt>Id</dt>
          <dd className="mono">{account.id}</dd>
          <dt>Plan</dt>
          <dd>
            {plan.label} <span className="muted">{`(allows ${plan.allows.join(", ")})`}</span>
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
          <dt>Status</dt>
          <dd>
            <Badge value={account.status} />
            {account.blocked_reason_code ? ` (${account.blocked_reason_code})` : null}
          </dd>
          <dt>Created</dt>
          <dd>
            <When at={account.created_at} />
          </dd>
          <dt>Active sessions</dt>
          <dd>{activeSessions}</dd>
        </dl>
      </section>
      <section className="card">
        <h2>Users</h2>
        {members.length === 0 ? (
          <EmptyState>No users.</EmptyState>
        ) : (
          <ul>
            {members.map((m) => (
              <li key={m.id}>
                {m.provider === "password" ? (
                  <>
                    <code>{m.name}</code>
                    {` — ${m.role}, signs in with a username and password`}
                  </>
                ) : (
                  <>
                    {m.email ?? "(erased)"} — {m.role}, signs in with {m.provider}
                  </>
                )}
              </li>
            ))}
          </ul>
        )}
      </section>
    </div>
  );
}
