import type { LoaderFunctionArgs, MetaFunction } from "@remix-run/node";
import { Form, NavLink, Outlet, useLoaderData, useLocation, useRouteLoaderData } from "@remix-run/react";
import { AuthenticityTokenInput } from "remix-utils/csrf/react";
import { requireUser } from "../auth/session.server.js";
import { ErrorPage, errorView } from "../components/error-page.js";
import { customerLinks, TopBar } from "../components/ui.js";
import { pageTitle } from "../page-title.js";
import { loadSettingsLayout } from "../presenters/settings-layout.server.js";

/** The title of a page that failed under this layout (each page names itself otherwise). */
export const meta: MetaFunction = ({ error }) => pageTitle(error ? errorView(error).title : null, "Settings");

export async function loader({ request, context }: LoaderFunctionArgs) {
  const p = await requireUser(request, context);
  return loadSettingsLayout(context.services, { userId: p.userId, accountId: p.accountId, isStaff: p.staff !== null });
}

const TABS = [
  { to: "/settings/profile", label: "Profile" },
  { to: "/settings/api-keys", label: "API Keys" },
  { to: "/settings/members", label: "Members" },
  { to: "/settings/billing", label: "Billing" },
  { to: "/settings/email", label: "Email" },
  { to: "/settings/notifications", label: "Notifications" },
  { to: "/settings/sessions", label: "Sessions" },
];

function SettingsTabs() {
  return (
    <nav aria-label="Settings" className="tabs">
      {TABS.map((t) => (
        <NavLink key={t.to} to={t.to}>
          {t.label}
        </NavLink>
      ))}
    </nav>
  );
}

export default function Settings() {
  const { email, accountName, accountId, isStaff, accounts } = useLoaderData<typeof loader>();
  const location = useLocation();
  return (
    <>
      <TopBar links={customerLinks(isStaff)} who={email} contentTarget={false} />
      <main className="page">
        <div className="row acting-on">
          <p className="muted">
            Acting on: <strong>{accountName}</strong>
          </p>
          {accounts.length > 0 ? (
            // A full-page post: switching changes what every part of the page shows.
            <Form method="post" action="/settings/switch-account" reloadDocument className="row">
              <AuthenticityTokenInput />
              <input type="hidden" name="next" value={location.pathname} />
              <label htmlFor="switch-account" className="sr-only">
                Switch to another of your accounts
              </label>
              <select id="switch-account" name="accountId" defaultValue={accountId} key={accountId}>
                {accounts.map((a) => (
                  <option key={a.id} value={a.id}>
                    {a.label}
                  </option>
                ))}
              </select>
              <button type="submit" className="btn">
                Switch account
              </button>
            </Form>
          ) : null}
        </div>
        <SettingsTabs />
        {/* The skip link lands here, past the account switcher and the tabs. */}
        <div id="content" tabIndex={-1} className="skip-target">
          <Outlet />
        </div>
      </main>
    </>
  );
}

/** A settings page that failed (403, 404, a crash) keeps the bar and the tabs, so the way on is one click away. */
export function ErrorBoundary() {
  const layout = useRouteLoaderData<typeof loader>("routes/settings");
  return (
    <>
      <TopBar links={layout ? customerLinks(layout.isStaff) : []} who={layout?.email ?? null} contentTarget={false} />
      <main className="page">
        {layout ? <SettingsTabs /> : null}
        <div id="content" tabIndex={-1} className="skip-target">
          <ErrorPage home={{ to: "/settings/profile", label: "Go to your settings" }} />
        </div>
      </main>
    </>
  );
}
