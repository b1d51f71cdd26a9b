import type { LoaderFunctionArgs } from "@remix-run/node";
import { data } from "@remix-run/node";
import { Outlet, useLoaderData } from "@remix-run/react";
import { requireStaff } from "../auth/session.server.js";
import { stepUpForPage } from "../auth/step-up.server.js";
import { StepUpNotice } from "../components/step-up.js";
import { TopBar } from "../components/ui.js";
import { loadConsoleLayout } from "../presenters/console-layout.server.js";

export async function loader({ request, context }: LoaderFunctionArgs) {
  const p = await requireStaff(request, context);
  const layout = await loadConsoleLayout(context.services, p.staff);
  // A console action that asked for a fresh sign-in: its notice and kept form (app/auth/step-up.server.ts).
  const stepUp = await stepUpForPage(request, context, p);
  return data({ ...layout, stepUp: stepUp.view }, stepUp.setCookie ? { headers: { "Set-Cookie": stepUp.setCookie } } : undefined);
}

export default function ConsoleLayout() {
  const { role, email } = useLoaderData<typeof loader>();
  return (
    <>
      <TopBar
        links={[
          { to: "/console", label: "Dashboard" },
          { to: "/console/accounts", label: "Accounts" },
          { to: "/console/tickets", label: "Tickets" },
          { to: "/console/deletions", label: "Deletions" },
          { to: "/console/workflows", label: "Workflows" },
          { to: "/console/mail", label: "Mail" },
          { to: "/console/lists", label: "Lists" },
          { to: "/console/audit", label: "Audit" },
          ...(role === "admin" ? [{ to: "/console/staff", label: "Staff" }] : []),
        ]}
        who={`${email} (${role})`}
      />
      <StepUpNotice />
      <Outlet />
    </>
  );
}
