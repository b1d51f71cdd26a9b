import type { LoaderFunctionArgs } from "@remix-run/node";
import { Form, NavLink, Outlet, useLoaderData, useLocation } from "@remix-run/react";
import { AuthenticityTokenInput } from "remix-utils/csrf/react";
import { requireUser } from "../auth/session.server.js";
import { TopBar } from "../components/ui.js";
import { loadSettingsLayout } from "../presenters/settings-layout.server.js";

export async function loader({ request, context }: LoaderFunctionArgs) {
  const p = await requireUser(request, context);
  return loadSettingsLayout(context.services, { userId: p.userId, accountId: p.accountId, isStaff: p.staff !== null });
}

export default function Settings() {
  const { email, accountName, accountId, isStaff, accounts } = useLoaderData<typeof loader>();
  const location = useLocation();
  return (
    <>
      <TopBar
        links={[{ to: "/", label: "Home" }, { to: "/settings/sessions", label: "Settings" }, ...(isStaff ? [{ to: "/console", label: "Console" }] : [])]}
        who={email}
      />
      <main className="page">
        <div className="row" style={{ alignItems: "center", marginBottom: ".6rem" }}>
          <p className="muted" style={{ margin: 0 }}>
            Acting on: <strong>{accountName}</strong>
          </p>
          {accounts.length > 0 ? (
            // A full-page post: switching changes what every part of the page shows.
            <Form method="post" action="/settings/switch-account" reloadDocument className="row" style={{ alignItems: "center" }}>
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
        <nav aria-label="Settings" className="row" style={{ marginBottom: "1rem" }}>
          <NavLink to="/settings/profile">Profile</NavLink>
          <NavLink to="/settings/api-keys">API Keys</NavLink>
          <NavLink to="/settings/members">Members</NavLink>
          <NavLink to="/settings/billing">Billing</NavLink>
          <NavLink to="/settings/email">Email</NavLink>
          <NavLink to="/settings/notifications">Notifications</NavLink>
          <NavLink to="/settings/sessions">Sessions</NavLink>
        </nav>
        <Outlet />
      </main>
    </>
  );
}
