import { redirect, type LoaderFunctionArgs, type MetaFunction } from "@remix-run/node";
import { Link, useLoaderData } from "@remix-run/react";
import { getPrincipal, PASSWORD_CHANGE_PATH } from "../auth/session.server.js";
import { Alert, Badge, customerLinks, TopBar, When } from "../components/ui.js";
import { formatCents } from "../models/money.js";
import { PLAN_LABEL } from "../models/plans.js";
import { signInMethodLabel } from "../models/sign-in-method.js";
import { loadHomePage } from "../presenters/home.server.js";
import { pageTitle } from "../page-title.js";

export const meta: MetaFunction<typeof loader> = ({ data }) => pageTitle(data?.home ? "Home" : null);

export async function loader({ request, context }: LoaderFunctionArgs) {
  const principal = await getPrincipal(request, context);
  if (principal?.mustChangePassword) throw redirect(PASSWORD_CHANGE_PATH);
  if (!principal?.userId || !principal.accountId) return { home: null, isStaff: principal?.staff != null, rebound: null, passwordChanged: false };
  return loadHomePage(
    context.services,
    { userId: principal.userId, accountId: principal.accountId, isStaff: principal.staff != null },
    new URL(request.url).searchParams,
  );
}

export default function Index() {
  const { home, isStaff, rebound, passwordChanged } = useLoaderData<typeof loader>();
  if (!home) {
    return (
      <>
        <TopBar links={isStaff ? [{ to: "/console", label: "Console" }] : []} who={isStaff ? "staff" : null} />
        <main className="page narrow">
          <h1>Switchboard</h1>
          <p>
            The account system of an AI API platform: sign in with Google or GitHub to manage your API keys and credits. Support staff and operators use the
            console.
          </p>
          <p>
            <Link to="/login" className="btn primary">
              Sign in
            </Link>
          </p>
        </main>
      </>
    );
  }
  return (
    <>
      <TopBar links={customerLinks(isStaff)} who={home.user.email ?? home.user.name} />
      <main className="page">
        <h1>{home.account.name}</h1>
        {passwordChanged ? <Alert kind="ok" lines={["Your new password is set. Use it from now on."]} /> : null}
        {rebound ? (
          <Alert
            kind="info"
            lines={[
              "Sign-in with LinkedIn has been discontinued.",
              `Your account now signs in with ${rebound === "github" ? "GitHub" : "Google"}; use it from now on.`,
            ]}
          />
        ) : null}
        <div className="grid">
          <section className="card" aria-labelledby="acct">
            <h2 id="acct">Account</h2>
            <dl className="facts">
              <dt>Plan</dt>
              <dd>{PLAN_LABEL[home.account.plan]}</dd>
              <dt>Status</dt>
              <dd>
                <Badge value={home.account.status} />
              </dd>
              <dt>Your role</dt>
              <dd>{home.role}</dd>
              <dt>Created</dt>
              <dd>
                <When at={home.account.created_at} />
              </dd>
              <dt>Account id</dt>
              <dd className="mono">{home.account.id}</dd>
            </dl>
          </section>
          <section className="card" aria-labelledby="credits">
            <h2 id="credits">Credits</h2>
            <p style={{ fontSize: "1.8rem", margin: 0 }}>{formatCents(home.account.balance_cents)}</p>
            <p className="muted">Usage may continue until the balance reaches −{formatCents(home.account.credit_limit_cents)}.</p>
            <p>
              <Link to="/settings/billing">Billing</Link> · <Link to="/settings/api-keys">API keys</Link>
            </p>
          </section>
          <section className="card" aria-labelledby="you">
            <h2 id="you">You</h2>
            <dl className="facts">
              <dt>Name</dt>
              <dd>{home.user.name ?? "—"}</dd>
              <dt>Email</dt>
              <dd>{home.user.email ?? "—"}</dd>
              <dt>Signs in with</dt>
              <dd>{signInMethodLabel(home.user.provider)}</dd>
            </dl>
            <p>
              <Link to="/settings/sessions">Your active sessions</Link>
            </p>
          </section>
        </div>
      </main>
    </>
  );
}
