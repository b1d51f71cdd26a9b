import type { LoaderFunctionArgs, MetaFunction } from "@remix-run/node";
import { useLoaderData } from "@remix-run/react";
import { requireUser } from "../auth/session.server.js";
import { When } from "../components/ui.js";
import { signInMethodLabel } from "../models/sign-in-method.js";
import { loadProfilePage } from "../presenters/profile-page.server.js";
import { pageTitle } from "../page-title.js";

export const meta: MetaFunction = () => pageTitle("Profile", "Settings");

export async function loader({ request, context }: LoaderFunctionArgs) {
  const p = await requireUser(request, context);
  const page = await loadProfilePage(context.services, p);
  if (!page) throw new Response("Not Found", { status: 404 });
  return page;
}

export default function ProfilePage() {
  const { user, account } = useLoaderData<typeof loader>();
  return (
    <>
      <section className="card">
        <h1>Profile</h1>
        <dl className="facts">
          <dt>Name</dt>
          <dd>{user.name ?? "—"}</dd>
          <dt>Email</dt>
          <dd>{user.email ?? "—"}</dd>
          <dt>Signs in with</dt>
          <dd>{signInMethodLabel(user.provider)}</dd>
          <dt>Account created</dt>
          <dd>
            <When at={account.created_at} />
          </dd>
        </dl>
        {user.provider === "password" ? (
          <p className="muted">This login belongs to this account; its owner or an admin manages it (Settings → Members).</p>
        ) : (
          <p className="muted">
            Your name and email come from your sign-in provider. To use another email address, see <a href="/settings/email">Settings → Email</a>.
          </p>
        )}
      </section>
      <section className="card" aria-labelledby="privacy-h">
        <h2 id="privacy-h">Privacy and Security</h2>
        <p>
          <a href="/settings/profile/data" download>
            Download my data
          </a>{" "}
          — everything Switchboard holds about you, as a JSON file: profile, accounts, API keys' metadata (never the keys), credit history, tickets, sessions
          and the audit trail about you.
        </p>
        {user.provider === "password" ? null : (
          <p>
            <a href="/settings/delete-account" className="danger-link">
              Delete your account
            </a>{" "}
            — removes your personal data and unsubscribes you from all mailing lists. It cannot be undone.
          </p>
        )}
      </section>
    </>
  );
}
