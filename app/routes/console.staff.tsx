import type { ActionFunctionArgs, LoaderFunctionArgs, MetaFunction } from "@remix-run/node";
import { Form, useActionData, useLoaderData } from "@remix-run/react";
import { AuthenticityTokenInput } from "remix-utils/csrf/react";
import { z } from "zod";
import { readFormWithCsrf } from "../auth/csrf.server.js";
import { requireStaff } from "../auth/session.server.js";
import { requireRecentStaffSignIn, type StepUpAction } from "../auth/step-up.server.js";
import { ConfirmAction } from "../components/confirm-dialog.js";
import { useConfirmOpen } from "../hooks/use-confirm-open.js";
import { useStepUp } from "../components/step-up.js";
import { DataTable, type Column } from "../components/table.js";
import { Alert, When } from "../components/ui.js";
import { EmailSchema } from "../models/email.server.js";
import { listStaff } from "../models/staff.server.js";
import { pageTitle } from "../page-title.js";
import { STAFF_ROLES } from "../permissions.js";
import { addStaffMember, removeStaffMember, setStaffMemberRole } from "../services/staff.server.js";

export const meta: MetaFunction = () => pageTitle("Staff", "Console");

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

const ROLE_DOES: Record<(typeof STAFF_ROLES)[number], string> = {
  support: "verifies tickets, blocks and unblocks accounts, grants credits",
  operator: "watches and acts on workflows",
  admin: "everything support and operators do, and manages staff",
};

export default function StaffPage() {
  const { me, staff } = useLoaderData<typeof loader>();
  const result = useActionData<typeof action>();
  // Filled in again after a fresh sign-in (step-up).
  const stepUpAdd = useStepUp("add");
  const keptAdd = stepUpAdd?.values;
  const stepUpRole = useStepUp("set_role");
  // Back from a fresh sign-in (not while one is still asked for: the notice above the page holds its buttons), the form opens again.
  const keptRole = stepUpRole?.values;
  const addDialog = useConfirmOpen(stepUpAdd && !stepUpAdd.signInNeeded ? stepUpAdd : null);
  const columns: Column<(typeof staff)[number]>[] = [
    {
      header: "Email",
      cell: (s) => (
        <>
          {s.email} {s.id === me ? <strong>(you)</strong> : null}
        </>
      ),
    },
    { header: "Role", cell: (s) => s.role },
    { header: "Signs in with", cell: (s) => s.provider ?? "not yet signed in" },
    { header: "Added", cell: (s) => <When at={s.created_at} /> },
    {
      key: "actions",
      header: <span className="sr-only">Actions</span>,
      cell: (s) => (
        <div className="row">
          <RoleChange member={s} kept={stepUpRole && !stepUpRole.signInNeeded && keptRole?.staffId === s.id ? stepUpRole : null} />
          <ConfirmAction
            label="Remove"
            title={`Remove ${s.email} from staff?`}
            description={<p>Their console sessions end at once and they can no longer open the console.</p>}
          >
            <Form method="post">
              <AuthenticityTokenInput />
              <input type="hidden" name="staffId" value={s.id} />
              <button className="btn danger" name="intent" value="remove" type="submit">
                Remove from staff
              </button>
            </Form>
          </ConfirmAction>
        </div>
      ),
    },
  ];
  return (
    <main className="page">
      <h1>Staff</h1>
      {result ? <Alert kind={result.ok ? "ok" : "error"} lines={[result.message]} /> : null}
      <p className="muted">Support verifies tickets and blocks accounts; operators watch and act on workflows; admins also manage staff.</p>
      <DataTable caption="Staff members" columns={columns} rows={staff} rowKey={(s) => s.id} empty="No staff members." />
      <div style={{ marginTop: "1rem" }}>
        <ConfirmAction
          label="Add staff member"
          title="Add a staff member?"
          tone="normal"
          description={<p>They open the console once they sign in with this address; the role decides what they can do there.</p>}
          {...addDialog}
        >
          <Form method="post" className="stack" aria-labelledby="add-staff-h">
            <h3 id="add-staff-h" className="sr-only">
              Add staff member
            </h3>
            <AuthenticityTokenInput />
            <div>
              <label htmlFor="new-email">Email</label>
              <input id="new-email" name="email" type="email" required defaultValue={keptAdd?.email ?? ""} />
            </div>
            <RoleSelect id="new-role" label="Role" defaultValue={keptAdd?.role ?? "support"} />
            <button className="btn primary" name="intent" value="add" type="submit">
              Add staff member
            </button>
          </Form>
        </ConfirmAction>
      </div>
    </main>
  );
}

function RoleSelect({ id, label, defaultValue }: { id: string; label: string; defaultValue: string }) {
  return (
    <div>
      <label htmlFor={id}>{label}</label>
      <select id={id} name="role" defaultValue={defaultValue} aria-describedby={`${id}-what`}>
        {STAFF_ROLES.map((r) => (
          <option key={r} value={r}>
            {r}
          </option>
        ))}
      </select>
      <ul id={`${id}-what`} className="muted">
        {STAFF_ROLES.map((r) => (
          <li key={r}>{`${r}: ${ROLE_DOES[r]}`}</li>
        ))}
      </ul>
    </div>
  );
}

/** "Change role" per member: the new role is chosen inside the confirmation, so a role is never granted by one stray click. */
function RoleChange({ member, kept }: { member: { id: string; email: string; role: string }; kept: { values: Record<string, string> } | null }) {
  const dialog = useConfirmOpen(kept);
  return (
    <ConfirmAction
      label="Change role"
      title={`Change the role of ${member.email}?`}
      tone="normal"
      description={<p>{`Now ${member.role}. The new role applies to their next page load.`}</p>}
      {...dialog}
    >
      <Form method="post" className="stack">
        <AuthenticityTokenInput />
        <input type="hidden" name="staffId" value={member.id} />
        <RoleSelect id={`role-${member.id}`} label={`New role of ${member.email}`} defaultValue={kept?.values.role ?? member.role} />
        <button className="btn primary" name="intent" value="set_role" type="submit">
          Set role
        </button>
      </Form>
    </ConfirmAction>
  );
}
