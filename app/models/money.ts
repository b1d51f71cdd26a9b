/** Money is integer cents (bigint): parsing and formatting, never through a float. */

/** "12", "12.5", "12.34", "-3.00" → cents; null for anything else (no exponents, no thousands separators). */
export function parseDollarsToCents(input: string): bigint | null {
  const m = /^\s*(-)?\$?(\d{1,12})(?:\.(\d{1,2}))?\s*$/.exec(input);
  if (!m) return null;
  const cents = BigInt(m[2]) * 100n + BigInt((m[3] ?? "0").padEnd(2, "0"));
  return m[1] ? -cents : cents;
}

export function formatCents(cents: bigint | string | number): string {
  const v = BigInt(cents);
  const abs = v < 0n ? -v : v;
  const dollars = abs / 100n;
  const rest = (abs % 100n).toString().padStart(2, "0");
  return `${v < 0n ? "−" : ""}$${dollars.toLocaleString("en-US")}.${rest}`;
}

/** A ledger amount with its sign: "+$12.50" for credits, "−$3.00" for debits. */
export function formatSignedCents(cents: bigint | string | number): string {
  return BigInt(cents) > 0n ? `+${formatCents(cents)}` : formatCents(cents);
}

/** Cents as a form field shows them: "12.50", "-3.00" (what parseDollarsToCents reads back). */
export function centsToDollarsInput(cents: bigint | string | number): string {
  const v = BigInt(cents);
  const abs = v < 0n ? -v : v;
  return `${v < 0n ? "-" : ""}${abs / 100n}.${(abs % 100n).toString().padStart(2, "0")}`;
}
