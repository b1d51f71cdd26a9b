/** Inviting people, the invitations not yet accepted, and handing ownership to an admin. */
import { Form } from "@remix-run/react";
import { AuthenticityTokenInput } from "remix-utils/csrf/react";
import { useHydrated } from "remix-utils/use-hydrated";
import type { Member, MembersPage } from "../../presenters/members-page.server.js";
import { ConfirmAction } from "../confirm-dialog.js";
import { Field, FieldError } from "../forms.js";
import { DataTable, type Column } from "../table.js";
import { Badge, When } from "../ui.js";
import { MEMBERS_PAGE, type MembersActionData, type MembersFieldErrors } from "./action-data.js";

export function InviteForm({ errors, values }: { errors: MembersFieldErrors; values: MembersActionData["values"] | null }) {
  return (
    <section className="card" aria-labelledby="invite-h">
      <h2 id="invite-h">Invite someone</h2>
      <p className="muted">They get a mail with a link that works for 7 days, and accept by signing in with Google or GitHub as that address.</p>
      <Form method="post" action={MEMBERS_PAGE}>
        <AuthenticityTokenInput />
        <div className="row">
          <Field
            id="invite-email"
            className="grow"
            label="Email address"
            error={errors.email}
            input={{ name: "email", type: "email", required: true, maxLength: 320, autoComplete: "off", defaultValue: values?.email ?? "" }}
          />
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

type Invitation = MembersPage["invitations"][number];

const INVITATION_COLUMNS: Column<Invitation>[] = [
  { header: "Email", cell: (i) => i.email, className: "cell-text" },
  { header: "Role", cell: (i) => <Badge value={i.role} /> },
  { header: "Last sent", cell: (i) => <When at={i.sentAt} />, className: "cell-nowrap" },
  { header: "Expires", cell: (i) => (i.expired ? <Badge value="expired" /> : <When at={i.expiresAt} />), className: "cell-nowrap" },
  { key: "actions", header: <span className="sr-only">Actions</span>, cell: (i) => <InvitationActions invitation={i} /> },
];

function InvitationActions({ invitation: i }: { invitation: Invitation }) {
  return (
    <div className="row" style={{ alignItems: "center" }}>
      <Form method="post" action={MEMBERS_PAGE} className="inline">
        <AuthenticityTokenInput />
        <input type="hidden" name="invitationId" value={i.id} />
        <button type="submit" name="intent" value="resend" className="btn" aria-label={`Resend the invitation to ${i.email}`}>
          Resend
        </button>
      </Form>
      {/* Without JavaScript the confirmation opens in place (a disclosure); with it, in a dialog. */}
      <ConfirmAction
        label="Revoke"
        triggerAriaLabel={`Revoke the invitation to ${i.email}`}
        triggerClassName="btn"
        title={`Revoke the invitation to ${i.email}?`}
        description={<p>The link in their mail stops working at once. You can invite them again later.</p>}
      >
        <Form method="post" action={MEMBERS_PAGE} className="inline">
          <AuthenticityTokenInput />
          <input type="hidden" name="invitationId" value={i.id} />
          <button type="submit" name="intent" value="revoke" className="btn danger">
            Revoke invitation
          </button>
        </Form>
      </ConfirmAction>
    </div>
  );
}

export function PendingInvitations({ invitations }: { invitations: MembersPage["invitations"] }) {
  return (
    <section className="card" aria-labelledby="pending-h">
      <h2 id="pending-h">Pending invitations</h2>
      <DataTable
        caption="Invitations not yet accepted"
        columns={INVITATION_COLUMNS}
        rows={invitations}
        rowKey={(i) => i.id}
        empty={<p>No pending invitations.</p>}
      />
      {invitations.length > 0 ? <p className="muted">Resending sends a new link valid for 7 days; the previous link stops working.</p> : null}
    </section>
  );
}

function AdminSelect({ admins, name }: { admins: Member[]; name: string }) {
  return (
    <div className="field grow">
      <label htmlFor={`handover-${name}`}>Hand ownership to</label>
      <select id={`handover-${name}`} name={name}>
        {admins.map((a) => (
          <option key={a.id} value={a.id}>
            {a.label}
          </option>
        ))}
      </select>
      <div className="hint">You become an admin. Ownership goes only to an admin.</div>
    </div>
  );
}

export function HandOver({ members }: { members: Member[] }) {
  const hydrated = useHydrated();
  const admins = members.filter((m) => m.role === "admin" && !m.passwordLogin);
  return (
    <section className="card" aria-labelledby="handover-h">
      <h2 id="handover-h">Ownership</h2>
      {admins.length === 0 ? (
        <p className="muted">An account has exactly one owner. To hand ownership to someone, first make them an admin.</p>
      ) : hydrated ? (
        // With JavaScript the choice and the confirmation share one dialog, which posts the hand-over itself.
        <ConfirmAction
          label="Hand over ownership…"
          tone="normal"
          title="Hand ownership to an admin?"
          description={<p>They become the account's owner, and you become an admin. Only the new owner can hand ownership back.</p>}
        >
          <Form method="post" action={MEMBERS_PAGE} className="row">
            <AuthenticityTokenInput />
            <AdminSelect admins={admins} name="userId" />
            <div className="field">
              <button type="submit" name="intent" value="handover" className="btn danger">
                Hand over ownership
              </button>
            </div>
          </Form>
        </ConfirmAction>
      ) : (
        // A GET form: it only opens the confirmation step.
        <Form method="get" action={MEMBERS_PAGE} className="row">
          <input type="hidden" name="confirm" value="handover" />
          <AdminSelect admins={admins} name="user" />
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
