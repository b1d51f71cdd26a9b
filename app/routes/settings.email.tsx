/**
 * Settings → Email: the user's side of "Changing Your Email Address". The
 * owner, signed in on the old account, asks to move everything to the account
 * on a new address; the emailTransfer workflow does the rest and the ticket
 * page follows it.
 */
import type { ActionFunctionArgs, LoaderFunctionArgs, MetaFunction } from "@remix-run/node";
import { data, redirect } from "@remix-run/node";
import { Form, Link, useActionData, useLoaderData } from "@remix-run/react";
import { AuthenticityTokenInput } from "remix-utils/csrf/react";
import { z } from "zod";
import { readFormWithCsrf } from "../auth/csrf.server.js";
import { requireUser } from "../auth/session.server.js";
import { Field, fieldErrorsOf, type FieldErrors as ErrorsOf } from "../components/forms.js";
import { Alert, Badge, EmptyState, When } from "../components/ui.js";
import { getMembershipRole } from "../models/memberships.server.js";
import { pageTitle } from "../page-title.js";
import { loadEmailSettingsPage } from "../presenters/email-settings.server.js";
import { requestTransferFromSettings } from "../services/transfer.server.js";

export const meta: MetaFunction<typeof loader> = () => pageTitle("Email address", "Settings");

const OWNER_ONLY = () =>
  new Response("Only the account's owner can move it to a new email address. Ask the owner to do it from their Settings → Email.", {
    status: 403,
  });

async function ownerOnly(request: Request, context: LoaderFunctionArgs["context"]) {
  const p = await requireUser(request, context);
  const role = await getMembershipRole(context.services.db, p.accountId, p.userId);
  if (role !== "owner") throw OWNER_ONLY();
  return p;
}

export async function loader({ request, context }: LoaderFunctionArgs) {
  const p = await ownerOnly(request, context);
  return loadEmailSettingsPage(context.services, { userId: p.userId, accountId: p.accountId });
}

const MAX_ADDRESS = 320;
const RequestSchema = z.object({
  newAddress: z
    .string({ message: "Enter the new email address." })
    .trim()
    .min(1, "Enter the new email address.")
    .max(MAX_ADDRESS, `An email address is at most ${MAX_ADDRESS} characters.`)
    .pipe(z.string().email("That is not an email address. Enter it as name@example.com.")),
  confirm: z.literal("yes", { errorMap: () => ({ message: "Tick the box to confirm that you understand this account will be blocked." }) }),
});

const FIELDS = ["newAddress", "confirm"] as const;
type FieldErrors = ErrorsOf<(typeof FIELDS)[number]>;
type ActionResult = { errors: FieldErrors; error: string | null; newAddress: string; confirmed: boolean };
const failed = (r: Partial<ActionResult>, status: number) =>
  data<ActionResult>({ errors: {}, error: null, newAddress: "", confirmed: false, ...r }, { status });

export async function action({ request, context }: ActionFunctionArgs) {
  const form = await readFormWithCsrf(request, context);
  const p = await ownerOnly(request, context);
  // What was typed and ticked comes back into the form, so a correction is one change (also without JavaScript).
  const typed = String(form.get("newAddress") ?? "").slice(0, MAX_ADDRESS * 2);
  const confirmed = form.get("confirm") === "yes";

  const parsed = RequestSchema.safeParse(Object.fromEntries(form));
  if (!parsed.success) return failed({ errors: fieldErrorsOf(parsed.error, FIELDS).fieldErrors, newAddress: typed, confirmed }, 400);

  const actor = { type: "user" as const, id: p.userId, ip: context.ip };
  const requested = await requestTransferFromSettings(
    context.services,
    { requesterUserId: p.userId, oldAccountId: p.accountId, newAddress: parsed.data.newAddress },
    actor,
  );
  if (!requested.ok) {
    if (requested.reason === "same_address") {
      return failed(
        { errors: { newAddress: "That is this account's current address. Enter the address of your new account." }, newAddress: typed, confirmed },
        400,
      );
    }
    if (requested.ownRequest) throw redirect(`/support/tickets/${requested.openTicketId}`);
    return failed({ error: "A transfer of this account is already in progress. Wait until it has finished." }, 409);
  }
  if (!requested.started) {
    return failed({ error: "We could not start your request just now; nothing has changed. Try again in a few minutes.", newAddress: typed, confirmed }, 503);
  }
  const { ticketId } = requested;
  throw redirect(`/support/tickets/${ticketId}`);
}

export default function EmailPage() {
  const { currentAddress, open, tickets } = useLoaderData<typeof loader>();
  const outcome = useActionData<typeof action>();
  const errors = outcome?.errors ?? {};

  return (
    <>
      <section className="card" aria-labelledby="email-h">
        <h1 id="email-h">Change your email address</h1>
        <p>
          An account's sign-in address cannot be edited
          {currentAddress ? (
            <>
              {" "}
              (this one signs in as <strong>{currentAddress}</strong>)
            </>
          ) : null}
          . Instead, everything on this account moves to an account on the new address, in four steps:
        </p>
        <ol className="stack">
          <li>
            <strong>Create the new account.</strong> Sign out, then sign up with the new address (Google or GitHub). That account receives everything.
          </li>
          <li>
            <strong>Ask from your current address.</strong> Send the request below while signed in here: being signed in as this account's owner proves the
            request comes from you. The new address then gets a mail with a link: open it, sign in with the new address and confirm. Support reviews the request
            after that.
          </li>
          <li>
            <strong>This account will be blocked.</strong> Once support approves, this account is blocked: its API keys and sessions stop working, and its
            credits, plan and settings move to the new account.
          </li>
          <li>
            <strong>Update your integrations.</strong> Switch everything that calls the API with this account's keys to the new account's API key.
          </li>
        </ol>
      </section>

      <section className="card" aria-labelledby="request-h">
        <h2 id="request-h">Request the transfer</h2>
        {open === null ? (
          <TransferRequestForm errors={errors} error={outcome?.error ?? null} newAddress={outcome?.newAddress ?? ""} confirmed={outcome?.confirmed ?? false} />
        ) : open.yours ? (
          <div className="alert info" role="status">
            <p>You already asked to move this account, and that request is still in progress.</p>
            <p>
              <Link to={`/support/tickets/${open.id}`}>Follow the request in progress</Link>
            </p>
          </div>
        ) : (
          <Alert kind="info" lines={["A transfer of this account is already in progress. Wait until it has finished."]} />
        )}
      </section>

      <section className="card" aria-labelledby="history-h">
        <h2 id="history-h">Your transfer requests</h2>
        {tickets.length === 0 ? (
          <EmptyState>
            <p>You have not asked for a transfer yet.</p>
          </EmptyState>
        ) : (
          // Scrolls sideways on a phone: focusable and named, so the keyboard can reach it (axe: scrollable-region-focusable).
          <div className="table-scroll" role="region" aria-label="Your transfer requests" tabIndex={0}>
            <table>
              <caption className="sr-only">Your email transfer requests, newest first</caption>
              <thead>
                <tr>
                  <th scope="col">Requested</th>
                  <th scope="col">New address</th>
                  <th scope="col">Status</th>
                  <th scope="col">Closed</th>
                  <th scope="col">
                    <span className="sr-only">Details</span>
                  </th>
                </tr>
              </thead>
              <tbody>
                {tickets.map((t) => (
                  <tr key={t.id}>
                    <td>
                      <When at={t.createdAt} /> <span className="muted">{t.source === "email" ? "(by mail)" : ""}</span>
                    </td>
                    <td>{t.newAddress ?? <span className="muted">—</span>}</td>
                    <td>
                      <Badge value={t.status} />
                    </td>
                    <td>
                      <When at={t.closedAt} />
                    </td>
                    <td>
                      <Link to={`/support/tickets/${t.id}`}>
                        Details<span className="sr-only"> of the request made {new Date(t.createdAt).toISOString().slice(0, 16).replace("T", " ")} UTC</span>
                      </Link>
                    </td>
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
        )}
      </section>
    </>
  );
}

function TransferRequestForm({ errors, error, newAddress, confirmed }: { errors: FieldErrors; error: string | null; newAddress: string; confirmed: boolean }) {
  return (
    <Form method="post" action="/settings/email" aria-labelledby="request-h">
      <AuthenticityTokenInput />
      {error ? <Alert kind="error" lines={[error]} /> : null}
      <Field
        id="new-address"
        label="New email address"
        hint="The address your new account signs in with. Create that account first."
        error={errors.newAddress}
        input={{ name: "newAddress", type: "email", required: true, maxLength: MAX_ADDRESS, autoComplete: "email", defaultValue: newAddress }}
      />
      <div className="field">
        <label htmlFor="confirm-block" style={{ fontWeight: 400, display: "flex", gap: ".5rem", alignItems: "start" }}>
          <input
            id="confirm-block"
            name="confirm"
            type="checkbox"
            value="yes"
            required
            defaultChecked={confirmed}
            aria-invalid={errors.confirm ? true : undefined}
            aria-describedby={errors.confirm ? "confirm-block-error" : undefined}
          />
          <span>
            I understand this account will be blocked once the transfer is approved: its API keys stop working, and its credits, plan and settings move to the
            account on the new address.
          </span>
        </label>
        {errors.confirm ? (
          <div id="confirm-block-error" className="field-error" role="alert">
            {errors.confirm}
          </div>
        ) : null}
      </div>
      <button type="submit" className="btn primary">
        Request the transfer
      </button>
    </Form>
  );
}
