/** Inviting people, the invitations not yet accepted, and handing ownership to an admin. */
import { Form } from "@remix-run/react";
import { AuthenticityTokenInput } from "remix-utils/csrf/react";
import type { Member, MembersPage } from "../../presenters/members-page.server.js";
import { FieldError } from "../forms.js";
import { Badge, EmptyState, When } from "../ui.js";
import { MEMBERS_PAGE, type MembersActionData, type MembersFieldErrors } from "./action-data.js";

export function InviteForm({ errors, values }: { errors: MembersFieldErrors; values: MembersActionData["values"] | null }) {
  return (
    <section className="card" aria-labelledby="invite-h">
      <h2 id="invite-h">Invite someone</h2>
      <p className="muted">They get a mail with a link that works for 7 days, and accept by signing in with Google or GitHub as that address.</p>
      <Form method="post" action={MEMBERS_PAGE}>
        <AuthenticityTokenInput />
        <div className="row">
          <div className="field grow">
            <label htmlFor="invite-email">Email address</label>
            <input
              id="invite-email"
              name="email"
              type="email"
              required
              maxLength={320}
              autoComplete="off"
              defaultValue={values?.email ?? ""}
              aria-invalid={errors.email ? true : undefined}
              aria-describedby={errors.email ? "invite-email-error" : undefined}
            />
            <FieldError id="invite-email-error" error={errors.email} />
          </div>
          <div className="field">
            <label htmlFor="invite-role">Role</label>
            <select
              id="invite-role"
              name="role"
              defaultValue={values?.role === "admin" ? "admin" : "member"}
              aria-invalid={errors.role ? true : undefined}
              aria-describedby={errors.role ? "invite-role-error invite-role-hint" : "invite-role-hint"}
            >
              <option value="member">Member</option>
              <option value="admin">Admin</option>
            </select>
            <FieldError id="invite-role-error" error={errors.role} />
          </div>
          <div className="field">
            <button type="submit" name="intent" value="invite" className="btn primary">
              Send invitation
            </button>
          </div>
        </div>
        <div id="invite-role-hint" className="hint muted">
          Members use the account and see its keys' details; admins also manage keys and members.
        </div>
      </Form>
    </section>
  );
}

export function PendingInvitations({ invitations }: { invitations: MembersPage["invitations"] }) {
  return (
    <section className="card" aria-labelledby="pending-h">
      <h2 id="pending-h">Pending invitations</h2>
      {invitations.length === 0 ? (
        <EmptyState>
          <p>No pending invitations.</p>
        </EmptyState>
      ) : (
        <div className="table-wrap">
          <table>
            <caption className="sr-only">Invitations not yet accepted</caption>
            <thead>
              <tr>
                <th scope="col">Email</th>
                <th scope="col">Role</th>
                <th scope="col">Last sent</th>
                <th scope="col">Expires</th>
                <th scope="col">
                  <span className="sr-only">Actions</span>
                </th>
              </tr>
            </thead>
            <tbody>
              {invitations.map((i) => (
                <tr key={i.id}>
                  <td>{i.email}</td>
                  <td>
                    <Badge value={i.role} />
                  </td>
                  <td>
                    <When at={i.sentAt} />
                  </td>
                  <td>{i.expired ? <Badge value="expired" /> : <When at={i.expiresAt} />}</td>
                  <td>
                    <div className="row" style={{ alignItems: "center" }}>
                      <Form method="post" action={MEMBERS_PAGE} className="inline">
                        <AuthenticityTokenInput />
                        <input type="hidden" name="invitationId" value={i.id} />
                        <button type="submit" name="intent" value="resend" className="btn" aria-label={`Resend the invitation to ${i.email}`}>
                          Resend
                        </button>
                      </Form>
                      <Form method="post" action={MEMBERS_PAGE} className="inline">
                        <AuthenticityTokenInput />
                        <input type="hidden" name="invitationId" value={i.id} />
                        <button type="submit" name="intent" value="revoke" className="btn" aria-label={`Revoke the invitation to ${i.email}`}>
                          Revoke
                        </button>
                      </Form>
                    </div>
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
      {invitations.length > 0 ? <p className="muted">Resending sends a new link valid for 7 days; the previous link stops working.</p> : null}
    </section>
  );
}

export function HandOver({ members }: { members: Member[] }) {
  const admins = members.filter((m) => m.role === "admin" && !m.passwordLogin);
  return (
    <section className="card" aria-labelledby="handover-h">
      <h2 id="handover-h">Ownership</h2>
      {admins.length === 0 ? (
        <p className="muted">An account has exactly one owner. To hand ownership to someone, first make them an admin.</p>
      ) : (
        // A GET form: it only opens the confirmation step.
        <Form method="get" action={MEMBERS_PAGE} className="row">
          <input type="hidden" name="confirm" value="handover" />
          <div className="field grow">
            <label htmlFor="handover-user">Hand ownership to</label>
            <select id="handover-user" name="user">
              {admins.map((a) => (
                <option key={a.id} value={a.id}>
                  {a.label}
                </option>
              ))}
            </select>
            <div className="hint">You become an admin. Ownership goes only to an admin.</div>
          </div>
          <div className="field">
            <button type="submit" className="btn">
              Continue
            </button>
          </div>
        </Form>
      )}
    </section>
  );
}
