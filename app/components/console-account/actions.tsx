/**
 * The account page's Actions (support and admin): every form that changes the
 * account, each behind its own confirmation (app/components/confirm-dialog.tsx),
 * after the overview rather than between the facts.
 */
import type { ConsoleAccountPage } from "../../presenters/console-account.server.js";
import { CreditsAction, type CreditsOutcome } from "../console-credits.js";
import { DeletionAction, type DeletionOutcome } from "./deletion-card.js";
import { PasswordLoginsAction, PlanAction, type PlanOutcome } from "./plan-card.js";
import { EndSessionsAction, StatusActions } from "./status-actions.js";

export function AccountActions({
  page,
  inFlight,
  outcomes,
}: {
  page: ConsoleAccountPage;
  inFlight: boolean;
  outcomes: { credits: CreditsOutcome | null; plan: PlanOutcome | null; deletion: DeletionOutcome | null };
}) {
  const who = page.title;
  return (
    <section className="card" aria-labelledby="actions-h">
      <h2 id="actions-h">Actions</h2>
      <p className="muted">Each action asks before it does anything, and each is kept in the audit trail.</p>
      <ul className="account-actions">
        <li>
          <StatusActions status={page.account.status} inFlight={inFlight} who={who} />
        </li>
        <li>
          <CreditsAction who={who} formToken={page.credits.formToken} outcome={outcomes.credits} />
        </li>
        <li>
          <PlanAction plan={page.plan} who={who} outcome={outcomes.plan} />
        </li>
        <li>
          <PasswordLoginsAction passwordLogins={page.passwordLogins} who={who} />
        </li>
        <li>
          <EndSessionsAction who={who} activeSessions={page.activeSessions} />
        </li>
        <li>
          <DeletionAction status={page.account.status} deletion={page.deletion} who={who} outcome={outcomes.deletion} />
        </li>
      </ul>
    </section>
  );
}
