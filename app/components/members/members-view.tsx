/** Settings → Members as a whole: the section the plan allows, the action's answer, the confirmation step. */
import type { MembersPage } from "../../presenters/members-page.server.js";
import { Alert } from "../ui.js";
import type { MembersActionData } from "./action-data.js";
import { ConfirmStep, MemberConfirm } from "./confirm-step.js";
import { HandOver, InviteForm, PendingInvitations } from "./invitations.js";
import { MembersTable, SharedByKeys } from "./members-table.js";
import { PasswordLogins } from "./password-logins.js";
import { RevealedSecret } from "../revealed-secret.js";

export function MembersView({ page, outcome }: { page: MembersPage; outcome: MembersActionData | null }) {
  return (
    <>
      <section className="card" aria-labelledby="members-h">
        <h1 id="members-h">Members</h1>
        <p className="muted">
          Who can use <strong>{page.accountName}</strong> ({page.planLabel} plan).
        </p>
        {page.joined ? <Alert kind="ok" lines={[page.joined]} /> : null}
        {page.left ? <Alert kind="ok" lines={[page.left]} /> : null}
        {outcome?.error ? <Alert kind="error" lines={[outcome.error]} /> : null}
        {outcome?.notice ? <Alert kind="ok" lines={[outcome.notice]} /> : null}
        {outcome?.newMainKey ? (
          <section aria-labelledby="new-main-h" className="stack" style={{ marginBottom: "1rem" }}>
            <h2 id="new-main-h">{`The account's new main key (${outcome.newMainKey.display})`}</h2>
            <p>The main key they had made stopped working, so the account has a new one. Switch your integrations to it.</p>
            <RevealedSecret
              id="new-main-key"
              what="key"
              minWidth="16rem"
              note={
                <>
                  <strong>Copy this key now: it will not be shown again.</strong> Switchboard keeps only a hash of it. If you lose it, regenerate the main key
                  under API keys.
                </>
              }
              label="The account's new main API key"
              value={outcome.newMainKey.plaintext}
            />
          </section>
        ) : null}
        {page.confirm && !outcome ? <ConfirmStep confirm={page.confirm} /> : null}
        {page.section === "keys" ? <SharedByKeys plans={page.userManagementPlans} loginPlans={page.passwordLoginPlans} /> : null}
        {page.section === "members" ? <MembersTable page={page} /> : null}
        {page.leave?.target ? (
          <p>
            <MemberConfirm confirm={{ ...page.leave, target: page.leave.target }} label="Leave this account" className="danger-link" />
          </p>
        ) : null}
        {page.section === "password_logins" ? (
          <p className="muted">
            Inviting people by email (user management) is available on the {page.userManagementPlans} plan. On the {page.planLabel} plan, several people work
            from this account with username/password logins, below, or with additional API keys.
          </p>
        ) : null}
      </section>

      {page.section === "members" && page.canManage ? (
        <>
          <InviteForm errors={outcome?.errors ?? {}} values={outcome?.values ?? null} key={outcome?.notice ?? "invite"} />
          <PendingInvitations invitations={page.invitations} />
          {page.role === "owner" ? <HandOver members={page.members} /> : null}
        </>
      ) : null}

      {page.section === "password_logins" && page.passwordLogins ? (
        <PasswordLogins logins={page.passwordLogins} canManage={page.canManage} outcome={outcome ?? null} planLabel={page.planLabel} />
      ) : null}
    </>
  );
}
