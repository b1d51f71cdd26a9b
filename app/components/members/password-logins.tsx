/** Username/password logins (Scale and Enterprise): the list, a one-time password shown once, creating one. */
import { Form, Link } from "@remix-run/react";
import { AuthenticityTokenInput } from "remix-utils/csrf/react";
import type { MembersPage } from "../../presenters/members-page.server.js";
import { FieldError } from "../forms.js";
import { Badge, EmptyState, When } from "../ui.js";
import { MEMBERS_PAGE, type MembersActionData } from "./action-data.js";
import { RevealedSecret } from "../revealed-secret.js";

type PasswordLoginsData = NonNullable<MembersPage["passwordLogins"]>;

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
      {logins.logins.length === 0 ? (
        <EmptyState>
          <p>No password logins yet.</p>
        </EmptyState>
      ) : (
        <div className="table-wrap">
          <table>
            <caption className="sr-only">Username/password logins of this account</caption>
            <thead>
              <tr>
                <th scope="col">Username</th>
                <th scope="col">Status</th>
                <th scope="col">Created</th>
                <th scope="col">Password changed</th>
                {canManage ? (
                  <th scope="col">
                    <span className="sr-only">Actions</span>
                  </th>
                ) : null}
              </tr>
            </thead>
            <tbody>
              {logins.logins.map((l) => (
                <tr key={l.userId}>
                  <td className="mono">{l.username}</td>
                  <td>{l.mustChange ? <Badge value="pending" /> : <Badge value="active" />}</td>
                  <td>
                    <When at={l.createdAt} />
                  </td>
                  <td>
                    <When at={l.passwordChangedAt} />
                  </td>
                  {canManage ? (
                    <td>
                      <div className="row" style={{ alignItems: "center" }}>
                        <Form method="post" action={MEMBERS_PAGE} className="inline">
                          <AuthenticityTokenInput />
                          <input type="hidden" name="userId" value={l.userId} />
                          <button type="submit" name="intent" value="reset_login" className="btn" aria-label={`Reset the password of ${l.username}`}>
                            Reset password
                          </button>
                        </Form>
                        <Link to={`?confirm=remove_login&user=${l.userId}`} className="danger-link" aria-label={`Remove the login ${l.username}`}>
                          Remove
                        </Link>
                      </div>
                    </td>
                  ) : null}
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
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
        <div className="field grow">
          <label htmlFor="login-username">Username</label>
          <input
            id="login-username"
            name="username"
            type="text"
            required
            maxLength={40}
            autoComplete="off"
            defaultValue={username}
            aria-invalid={error ? true : undefined}
            aria-describedby={error ? "login-username-error login-username-hint" : "login-username-hint"}
          />
          <div id="login-username-hint" className="hint">
            2 to 40 characters: lower-case letters, digits, dots, dashes and underscores.
          </div>
          <FieldError id="login-username-error" error={error} />
        </div>
        <div className="field">
          <button type="submit" name="intent" value="create_login" className="btn primary">
            Create login
          </button>
        </div>
      </div>
    </Form>
  );
}
