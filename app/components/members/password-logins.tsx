/** Username/password logins (Scale and Enterprise): the list, a one-time password shown once, creating one. */
import { Form, Link } from "@remix-run/react";
import { AuthenticityTokenInput } from "remix-utils/csrf/react";
import type { MembersPage } from "../../presenters/members-page.server.js";
import { Field } from "../forms.js";
import { RevealedSecret } from "../revealed-secret.js";
import { DataTable, type Column } from "../table.js";
import { Badge, When } from "../ui.js";
import { MEMBERS_PAGE, type MembersActionData } from "./action-data.js";
import { MemberConfirm } from "./confirm-step.js";

type PasswordLoginsData = NonNullable<MembersPage["passwordLogins"]>;
type Login = PasswordLoginsData["logins"][number];

const LOGIN_COLUMNS: Column<Login>[] = [
  { header: "Username", cell: (l) => <span className="mono">{l.username}</span> },
  { header: "Status", cell: (l) => <Badge value={l.mustChange ? "pending" : "active"} /> },
  { header: "Created", cell: (l) => <When at={l.createdAt} />, className: "cell-nowrap" },
  { header: "Password changed", cell: (l) => <When at={l.passwordChangedAt} />, className: "cell-nowrap" },
];

const LOGIN_ACTIONS: Column<Login> = {
  key: "actions",
  header: <span className="sr-only">Actions</span>,
  cell: (l) => (
    <div className="row" style={{ alignItems: "center" }}>
      <Form method="post" action={MEMBERS_PAGE} className="inline">
        <AuthenticityTokenInput />
        <input type="hidden" name="userId" value={l.userId} />
        <button type="submit" name="intent" value="reset_login" className="btn" aria-label={`Reset the password of ${l.username}`}>
          Reset password
        </button>
      </Form>
      <MemberConfirm
        confirm={{ kind: "remove_login", target: { id: l.userId, label: l.username, keys: l.keys }, lastAccount: false }}
        label="Remove"
        ariaLabel={`Remove the login ${l.username}`}
        className="danger-link"
      />
    </div>
  ),
};

export function PasswordLogins({
  logins,
  canManage,
  outcome,
  planLabel,
}: {
  logins: PasswordLoginsData;
  canManage: boolean;
  outcome: MembersActionData | null;
  planLabel: string;
}) {
  if (!logins.enabled) {
    return (
      <section className="card" aria-labelledby="logins-h">
        <h2 id="logins-h">Password logins</h2>
        <p>
          On the {planLabel} plan, several people can work from this account with their own username and password. Password logins are not turned on for this
          account yet: Switchboard support turns them on. Ask support, from the account owner's address, to turn them on.
        </p>
      </section>
    );
  }
  const revealed = outcome?.revealed ?? null;
  return (
    <section className="card" aria-labelledby="logins-h">
      <h2 id="logins-h">Password logins</h2>
      <p>
        Account identifier: <code className="mono">{logins.loginId}</code>
      </p>
      <p className="muted">
        People sign in at <Link to="/login/password">Sign in with a password</Link> with this account identifier, their username and their password. A new
        login's first password works once: they choose their own at first sign-in.
      </p>
      {revealed ? (
        <section aria-labelledby="revealed-h" className="stack" style={{ marginBottom: "1rem" }}>
          <h3 id="revealed-h">{revealed.reset ? `New one-time password for ${revealed.username}` : `Login ${revealed.username} created`}</h3>
          {revealed.reset ? <p>Its previous password no longer works, and its sessions have ended.</p> : null}
          <RevealedSecret
            id="revealed-password"
            what="password"
            minWidth="16rem"
            note={
              <>
                <strong>Copy this password now: it will not be shown again.</strong> Give it to the person privately; it works for one sign-in, after which they
                choose their own. Switchboard keeps only a hash of it.
              </>
            }
            label={`One-time password for ${revealed.username}`}
            value={revealed.password}
          />
        </section>
      ) : null}
      <DataTable
        caption="Username/password logins of this account"
        columns={canManage ? [...LOGIN_COLUMNS, LOGIN_ACTIONS] : LOGIN_COLUMNS}
        rows={logins.logins}
        rowKey={(l) => l.userId}
        empty={<p>No password logins yet.</p>}
      />
      <p className="muted">“pending” means the one-time password was not yet replaced by the person's own.</p>
      {canManage ? (
        <CreateLoginForm
          key={revealed?.username ?? "create"}
          error={outcome?.errors.username ?? null}
          username={revealed ? "" : (outcome?.values.username ?? "")}
        />
      ) : (
        <p className="muted">Only the account's owner and admins create, reset or remove logins.</p>
      )}
    </section>
  );
}

function CreateLoginForm({ error, username }: { error: string | null; username: string }) {
  return (
    <Form method="post" action={MEMBERS_PAGE} aria-labelledby="create-login-h">
      <h3 id="create-login-h">Create a login</h3>
      <AuthenticityTokenInput />
      <div className="row">
        <Field
          id="login-username"
          className="grow"
          label="Username"
          hint="2 to 40 characters: lower-case letters, digits, dots, dashes and underscores."
          error={error}
          input={{ name: "username", type: "text", required: true, maxLength: 40, autoComplete: "off", defaultValue: username }}
        />
        <div className="field">
          <button type="submit" name="intent" value="create_login" className="btn primary">
            Create login
          </button>
        </div>
      </div>
    </Form>
  );
}
