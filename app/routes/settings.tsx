import type { LoaderFunctionArgs } from "@remix-run/node";
import { NavLink, Outlet, useLoaderData } from "@remix-run/react";
import { requireUser } from "../auth/session.server.js";
import { TopBar } from "../components/ui.js";
import { getHomeSummary } from "../models/home.server.js";

export async function loader({ request, context }: LoaderFunctionArgs) {
  const p = await requireUser(request, context);
  const home = await getHomeSummary(context.services.db, p.userId, p.accountId);
  return { email: home?.user.email ?? null, accountName: home?.account.name ?? "", isStaff: p.staff !== null };
}

export default function Settings() {
  const { email, accountName, isStaff } = useLoaderData<typeof loader>();
  return (
    <>
      <TopBar
        links={[
          { to: "/", label: "Home" },
          { to: "/settings/sessions", label: "Settings" },
          ...(isStaff ? [{ to: "/console", label: "Console" }] : []),
        ]}
        who={email}
      />
      <main className="page">
        <p className="muted">Acting on: {accountName}</p>
        <nav aria-label="Settings" className="row" style={{ marginBottom: "1rem" }}>
          <NavLink to="/settings/profile">Profile</NavLink>
          <NavLink to="/settings/api-keys">API Keys</NavLink>
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
