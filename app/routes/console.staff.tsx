import type { ActionFunctionArgs, LoaderFunctionArgs, MetaFunction } from "@remix-run/node";
import { Form, useActionData, useLoaderData } from "@remix-run/react";
import { AuthenticityTokenInput } from "remix-utils/csrf/react";
import { z } from "zod";
import { readFormWithCsrf } from "../auth/csrf.server.js";
import { requireStaff } from "../auth/session.server.js";
import { requireRecentStaffSignIn, type StepUpAction } from "../auth/step-up.server.js";
import { useStepUp } from "../components/step-up.js";
import { DataTable, type Column } from "../components/table.js";
import { Alert, When } from "../components/ui.js";
import { EmailSchema } from "../models/email.server.js";
import { listStaff } from "../models/staff.server.js";
import { STAFF_ROLES } from "../permissions.js";
import { addStaffMember, removeStaffMember, setStaffMemberRole } from "../services/staff.server.js";

export const meta: MetaFunction = () => [{ title: "Staff · Console" }];

export async function loader({ request, context }: LoaderFunctionArgs) {
  const p = await requireStaff(request, context, "manage_staff");
  return { me: p.staff.id, staff: await listStaff(context.services.db) };
}

const Role = z.enum(STAFF_ROLES);
const Action = z.discriminatedUnion("intent", [
  z.object({ intent: z.literal("add"), email: EmailSchema, role: Role }),
  z.object({ intent: z.literal("set_role"), staffId: z.string().uuid(), role: Role }),
  z.object({ intent: z.literal("remove"), staffId: z.string().uuid() }),
]);

/** Granting a role (adding staff, setting a role) needs a recent sign-in (app/auth/step-up.server.ts). */
const STEP_UP: readonly StepUpAction[] = [
  { intent: "add", label: "Add staff member", fields: ["email", "role"], anchor: "add-staff-h" },
  { intent: "set_role", label: "Set role", fields: ["staffId", "role"] },
];

export async function action({ request, context }: ActionFunctionArgs) {
  const form = await readFormWithCsrf(request, context);
  const p = await requireStaff(request, context, "manage_staff");
  await requireRecentStaffSignIn(request, context, p, form, STEP_UP);
  const parsed = Action.safeParse(Object.fromEntries(form));
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    return { ok: false as const, message: issue?.path[0] === "email" ? "Enter a valid email address." : "The form was incomplete." };
  }
  const { services } = context;
  const actor = { type: "staff" as const, id: p.staff.id, ip: context.ip };
  const input = parsed.data;
  const result =
    input.intent === "add"
      ? await addStaffMember(services, input, actor)
      : input.intent === "set_role"
        ? await setStaffMemberRole(services, input, actor)
        : await removeStaffMember(services, input, actor);
  return result.ok ? { ok: true as const, message: "Saved." } : { ok: false as const, message: result.message };
}

export default function StaffPage() {
  const { me, staff } = useLoaderData<typeof loader>();
  const result = useActionData<typeof action>();
  // Filled in again after a fresh sign-in (step-up).
  const keptAdd = useStepUp("add")?.values;
  const keptRole = useStepUp("set_role")?.values;
  const columns: Column<(typeof staff)[number]>[] = [
    {
      header: "Email",
      cell: (s) => (
        <>
          {s.email} {s.id === me ? <strong>(you)</strong> : null}
        </>
      ),
    },
    {
      header: "Role",
      cell: (s) => (
        <Form method="post" className="row">
          <AuthenticityTokenInput />
          <input type="hidden" name="staffId" value={s.id} />
          <label className="sr-only" htmlFor={`role-${s.id}`}>
            Role of {s.email}
          </label>
          <select id={`role-${s.id}`} name="role" defaultValue={keptRole?.staffId === s.id ? keptRole.role : s.role} style={{ width: "auto" }}>
            {STAFF_ROLES.map((r) => (
              <option key={r}>{r}</option>
            ))}
          </select>
          <button className="btn" name="intent" value="set_role" type="submit">
            Set role
          </button>
        </Form>
      ),
    },
    { header: "Signs in with", cell: (s) => s.provider ?? "not yet signed in" },
    { header: "Added", cell: (s) => <When at={s.created_at} /> },
    {
      key: "remove",
      header: <span className="sr-only">Remove</span>,
      cell: (s) => (
        <Form method="post">
          <AuthenticityTokenInput />
          <input type="hidden" name="staffId" value={s.id} />
          <button className="btn danger" name="intent" value="remove" type="submit">
            Remove
          </button>
        </Form>
      ),
    },
  ];
  return (
    <main className="page">
      <h1>Staff</h1>
      {result ? <Alert kind={result.ok ? "ok" : "error"} lines={[result.message]} /> : null}
      <p className="muted">Support verifies tickets and blocks accounts; operators watch and act on workflows; admins also manage staff.</p>
      <DataTable caption="Staff members" columns={columns} rows={staff} rowKey={(s) => s.id} empty="No staff members." />
      <Form method="post" className="card row" style={{ marginTop: "1rem" }} aria-labelledby="add-staff-h">
        <h2 id="add-staff-h" className="sr-only">
          Add staff member
        </h2>
        <AuthenticityTokenInput />
        <div className="grow">
          <label htmlFor="new-email">Email</label>
          <input id="new-email" name="email" type="email" required defaultValue={keptAdd?.email ?? ""} />
        </div>
        <div>
          <label htmlFor="new-role">Role</label>
          <select id="new-role" name="role" defaultValue={keptAdd?.role ?? "support"}>
            {STAFF_ROLES.map((r) => (
              <option key={r}>{r}</option>
            ))}
          </select>
        </div>
        <button className="btn primary" name="intent" value="add" type="submit">
          Add staff member
        </button>
      </Form>
    </main>
  );
}
