/** Who belongs to the account, with the owner's and admins' actions on each; on Build, sharing by keys instead. */
import { Form, Link } from "@remix-run/react";
import { AuthenticityTokenInput } from "remix-utils/csrf/react";
import type { Member, MembersPage } from "../../presenters/members-page.server.js";
import { DataTable, type Column } from "../table.js";
import { Badge, When } from "../ui.js";
import { MEMBERS_PAGE } from "./action-data.js";
import { MemberConfirm } from "./confirm-step.js";

export function SharedByKeys({ plans, loginPlans }: { plans: string; loginPlans: string }) {
  return (
    <div className="stack" aria-labelledby="share-h">
      <h2 id="share-h">Share access with additional API keys</h2>
      <p>
        User management, inviting other people to this account, is available on the {plans} plan. On the Build plan, others use Switchboard through your account
        with additional API keys: create a named key for each person or service, share it with them, and delete it when they no longer need it. Your own sign-in
        stays yours.
      </p>
      <p>
        <Link to="/settings/api-keys" className="btn primary">
          Create an additional API key
        </Link>
      </p>
      <p className="muted">Username/password logins for several people are available on the {loginPlans} plans.</p>
    </div>
  );
}

export function MembersTable({ page }: { page: MembersPage }) {
  const { members, canManage, me } = page;
  const columns: Column<Member>[] = [
    {
      header: "Name",
      cell: (m) => (
        <>
          {m.name ?? <span className="muted">—</span>}
          {m.id === me ? <span className="muted"> (you)</span> : null}
        </>
      ),
      className: "cell-text",
    },
    {
      header: "Email",
      cell: (m) => m.email ?? (m.username ? <span className="muted">{`password login ${m.username}`}</span> : <span className="muted">—</span>),
      className: "cell-text",
    },
    { header: "Role", cell: (m) => <Badge value={m.role} /> },
    { header: "Joined", cell: (m) => <When at={m.joinedAt} />, className: "cell-nowrap" },
  ];
  if (canManage) columns.push({ key: "actions", header: <span className="sr-only">Actions</span>, cell: (m) => <MemberActions member={m} me={me} /> });
  return (
    <>
      <DataTable
        caption="People who belong to this account"
        columns={columns}
        rows={members}
        rowKey={(m) => m.id}
        empty={<p>Nobody belongs to this account.</p>}
      />
      {canManage ? null : <p className="muted">You can see who belongs to this account. Only its owner and admins invite, change or remove members.</p>}
    </>
  );
}

function MemberActions({ member, me }: { member: Member; me: string }) {
  if (member.role === "owner" || member.id === me) return null;
  const to = member.role === "admin" ? "member" : "admin";
  return (
    <div className="row" style={{ alignItems: "center" }}>
      <Form method="post" action={MEMBERS_PAGE} className="inline">
        <AuthenticityTokenInput />
        <input type="hidden" name="userId" value={member.id} />
        <input type="hidden" name="role" value={to} />
        <button type="submit" name="intent" value="set_role" className="btn" aria-label={`Make ${member.label} ${to === "admin" ? "an admin" : "a member"}`}>
          {to === "admin" ? "Make admin" : "Make member"}
        </button>
      </Form>
      <MemberConfirm
        confirm={{ kind: "remove", target: { id: member.id, label: member.label, keys: member.keys }, lastAccount: false }}
        label="Remove"
        ariaLabel={`Remove ${member.label}`}
        className="danger-link"
      />
    </div>
  );
}
