/**
 * Staff grant or adjust an account's credits from the console: one ledger
 * entry and its audit row (app/models/ledger.server.ts), posted once per form
 * however often the form is sent.
 */
import { z } from "zod";
import type { Services } from "../context.server.js";
import type { Actor } from "../models/audit.server.js";
import { postStaffCreditChange } from "../models/ledger.server.js";
import { formatCents, parseDollarsToCents } from "../models/money.js";

/** A typo guard for one entry, not a business rule. */
const MAX_ADJUST_CENTS = 100_000_000n;

/** The console's "Grant or adjust credits" form; amountDollars comes out as cents. */
export const StaffCreditForm = z
  .object({
    amountDollars: z.string().transform((s, ctx) => {
      const cents = parseDollarsToCents(s);
      const problem =
        cents === null
          ? "Enter an amount in dollars, like 10 or -5.50."
          : cents === 0n
            ? "Enter an amount other than zero."
            : cents > MAX_ADJUST_CENTS || -cents > MAX_ADJUST_CENTS
              ? `At most ${formatCents(MAX_ADJUST_CENTS)} per entry.`
              : s.length > 50
                ? "String must contain at most 50 character(s)"
                : null;
      if (cents === null || problem !== null) {
        ctx.addIssue({ code: z.ZodIssueCode.custom, message: problem ?? "" });
        return z.NEVER;
      }
      return cents;
    }),
    kind: z.enum(["grant", "adjustment"], { message: "Choose Grant or Adjustment." }),
    reason: z.string().trim().min(1, "Say why, for the record.").max(500, "Keep the reason to 500 characters."),
  })
  .superRefine((v, ctx) => {
    if (v.kind === "grant" && v.amountDollars < 0n) {
      ctx.addIssue({ code: z.ZodIssueCode.custom, path: ["amountDollars"], message: "A grant adds credits: enter a positive amount, or choose Adjustment." });
    }
  });

export type StaffCreditResult = { ok: true; notice: string; entryId: string } | { ok: false; status: 404 | 409; message: string };

/** `formToken` is the form's own id (a UUID): the entry's idempotency key. */
export async function postStaffCredits(
  services: Pick<Services, "db">,
  input: { accountId: string; amountCents: bigint; kind: "grant" | "adjustment"; reason: string; formToken: string },
  actor: Actor,
): Promise<StaffCreditResult> {
  const posted = await postStaffCreditChange(services.db, { ...input, actor });
  switch (posted.status) {
    case "no_account":
      return { ok: false, status: 404, message: "No such account." };
    case "insufficient":
      return { ok: false, status: 409, message: "Not posted: this would take the balance below the credit limit." };
    case "conflict":
      return { ok: false, status: 409, message: "This form was already used for a different entry. Reload the page to post another." };
    case "replayed":
      return { ok: true, notice: "This form was already posted; the entry was made once.", entryId: posted.entry.id };
    case "created":
      return {
        ok: true,
        notice: `Posted ${formatCents(posted.entry.amountCents)} (${input.kind}). The balance is now ${formatCents(posted.entry.balanceAfterCents)}.`,
        entryId: posted.entry.id,
      };
  }
}
