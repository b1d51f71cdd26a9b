/**
 * /settings/billing/checkout/:id — where the provider's Checkout sends the
 * browser back after paying or saving a card. Coming back proves nothing (the
 * link can be typed): the page says "pending" until the signed webhook has
 * completed the session, and follows it by itself (every 2 s with JavaScript;
 * a Refresh link without). Only members who may see the account's billing see
 * its sessions; anyone else's id is a 404, like an id that does not exist.
 *
 * `billing_`: the page sits in the settings layout beside Billing, not inside it.
 */
import type { LoaderFunctionArgs, MetaFunction } from "@remix-run/node";
import { Link, useLoaderData, useLocation } from "@remix-run/react";
import { requireUser } from "../auth/session.server.js";
import { cardExpiry, cardShort } from "../payments/payment-words.js";
import { useAutoRefresh } from "../hooks/use-auto-refresh.js";
import { getMembershipRole } from "../models/memberships.server.js";
import { formatCents } from "../models/money.js";
import { pageTitle } from "../page-title.js";
import { can } from "../permissions.js";
import { loadCheckoutReturn, type CheckoutReturn } from "../presenters/checkout-return.server.js";
import { isUuid } from "../validation/ids.js";

const title = (c: CheckoutReturn) =>
  c.mode === "payment" ? (c.status === "complete" ? "Credits added" : "Payment pending") : c.status === "complete" ? "Card saved" : "Saving the card";

export const meta: MetaFunction<typeof loader> = ({ data }) => pageTitle(data ? title(data) : null, "Billing", "Settings");

export async function loader({ request, params, context }: LoaderFunctionArgs) {
  const p = await requireUser(request, context);
  const id = params.id ?? "";
  const role = await getMembershipRole(context.services.db, p.accountId, p.userId);
  if (!role || !can(role, "view_billing")) throw new Response("You are not a member of this account.", { status: 403 });
  const checkout = isUuid(id) ? await loadCheckoutReturn(context.services, p.accountId, id) : null;
  if (!checkout) throw new Response("Not Found", { status: 404 });
  return checkout;
}

export default function CheckoutReturnPage() {
  const c = useLoaderData<typeof loader>();
  const { pathname } = useLocation();
  const pending = c.status === "open";
  useAutoRefresh(2000, pending);
  const pendingLines =
    c.mode === "payment"
      ? [
          "Payment started — waiting for confirmation from the payment page…",
          `${formatCents(c.amountCents)} is added to the balance as soon as the payment provider confirms the payment. This page updates by itself.`,
        ]
      : [
          "Card received by the payment page — waiting for confirmation…",
          "The card shows on the Billing page as soon as the payment provider confirms it. This page updates by itself.",
        ];
  let done: string[] = [];
  if (c.mode === "payment" && c.status === "complete") done = [`${formatCents(c.amountCents)} added. Your balance is now ${formatCents(c.balanceCents)}.`];
  if (c.mode === "setup" && c.status === "complete") {
    done = c.card
      ? [
          `Card saved: ${cardShort(c.card)}, expires ${cardExpiry(c.card)}.`,
          ...(c.card.removed ? ["It has since been removed or replaced; the Billing page shows the card in use."] : []),
        ]
      : ["Card saved."];
  }
  return (
    <section className="card checkout-return" aria-labelledby="checkout-h">
      <h1 id="checkout-h">{c.mode === "payment" ? "Add credits" : "Save a card"}</h1>
      {/* One live region whose words change, so the change from pending to done is announced. */}
      <div role="status" aria-live="polite" aria-atomic="true">
        <div className={pending ? "alert info" : "alert ok"}>
          {(pending ? pendingLines : done).map((l) => (
            <p key={l}>{l}</p>
          ))}
        </div>
      </div>
      {pending ? (
        <p>
          {/* Without JavaScript nothing refreshes by itself. */}
          <Link to={pathname}>Refresh</Link>{" "}
          <span className="muted">· If you left the payment page without finishing, nothing was {c.mode === "payment" ? "charged" : "saved"}.</span>
        </p>
      ) : null}
      <p>
        <Link to="/settings/billing">Back to Billing</Link>
      </p>
    </section>
  );
}
