import type { LoaderFunctionArgs } from "@remix-run/node";
import { Outlet, useLoaderData } from "@remix-run/react";
import { requireStaff } from "../auth/session.server.js";
import { TopBar } from "../components/ui.js";
import { getStaffMember } from "../models/staff.server.js";

export async function loader({ request, context }: LoaderFunctionArgs) {
  const p = await requireStaff(request, context);
  const me = await getStaffMember(context.services.db, p.staff.id);
  return { role: p.staff.role, email: me?.email ?? "" };
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
      <Outlet />
    </>
  );
}
