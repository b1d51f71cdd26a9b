import type { LoaderFunctionArgs, MetaFunction } from "@remix-run/node";
import { data } from "@remix-run/node";
import { Outlet, useLoaderData, useRouteLoaderData } from "@remix-run/react";
import { requireStaff } from "../auth/session.server.js";
import { stepUpForPage } from "../auth/step-up.server.js";
import { ConsoleSearchBox } from "../components/console/search-box.js";
import { ErrorPage, errorView } from "../components/error-page.js";
import { StepUpNotice } from "../components/step-up.js";
import { TopBar, type TopBarLink } from "../components/ui.js";
import { pageTitle } from "../page-title.js";
import { loadConsoleLayout } from "../presenters/console-layout.server.js";

/** The title of a page that failed under this layout (each page names itself otherwise). */
export const meta: MetaFunction = ({ error }) => pageTitle(error ? errorView(error).title : null, "Console");

export async function loader({ request, context }: LoaderFunctionArgs) {
  const p = await requireStaff(request, context);
  const layout = await loadConsoleLayout(context.services, p.staff);
  // A console action that asked for a fresh sign-in: its notice and kept form (app/auth/step-up.server.ts).
  const stepUp = await stepUpForPage(request, context, p);
  return data({ ...layout, stepUp: stepUp.view }, stepUp.setCookie ? { headers: { "Set-Cookie": stepUp.setCookie } } : undefined);
}

function consoleLinks(role: string): TopBarLink[] {
  return [
    { to: "/console", label: "Dashboard" },
    { to: "/console/accounts", label: "Accounts" },
    { to: "/console/tickets", label: "Tickets" },
    { to: "/console/deletions", label: "Deletions" },
    { to: "/console/workflows", label: "Workflows" },
    { to: "/console/mail", label: "Mail" },
    { to: "/console/lists", label: "Lists" },
    { to: "/console/audit", label: "Audit" },
    ...(role === "admin" ? [{ to: "/console/staff", label: "Staff" }] : []),
  ];
}

function ConsoleBar({ role, email }: { role: string; email: string }) {
  return <TopBar links={consoleLinks(role)} who={`${email} (${role})`} search={<ConsoleSearchBox />} contentTarget={false} />;
}

export default function ConsoleLayout() {
  const { role, email } = useLoaderData<typeof loader>();
  return (
    <>
      <ConsoleBar role={role} email={email} />
      <StepUpNotice />
      <div id="content" tabIndex={-1} className="skip-target">
        <Outlet />
      </div>
    </>
  );
}

/** A console page that failed (403, 404, a crash) keeps the console's bar, so on-call staff are one click from where they were going. */
export function ErrorBoundary() {
  const layout = useRouteLoaderData<typeof loader>("routes/console");
  return (
    <>
      {layout ? <ConsoleBar role={layout.role} email={layout.email} /> : <TopBar links={[]} contentTarget={false} />}
      <main className="page narrow" id="content" tabIndex={-1}>
        <ErrorPage home={{ to: "/console", label: "Go to the dashboard" }} />
      </main>
    </>
  );
}
