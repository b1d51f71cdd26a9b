/**
 * How payments read to people, on the customer's billing page and in the
 * console alike: card brands by name, a card in short, and which receipt
 * addresses may become links (what a provider sends is untrusted: a
 * `javascript:` or malformed "receipt" is never a link).
 */
const BRANDS: Record<string, string> = {
  visa: "Visa",
  mastercard: "Mastercard",
  amex: "American Express",
  discover: "Discover",
  diners: "Diners Club",
  jcb: "JCB",
  unionpay: "UnionPay",
  cartes_bancaires: "Cartes Bancaires",
  eftpos_au: "eftpos",
  interac: "Interac",
};

/** "visa" → "Visa"; a brand this list does not know is shown as the provider names it. */
export function brandName(brand: string): string {
  const known = BRANDS[brand.toLowerCase()];
  if (known) return known;
  const words = brand.replace(/_/g, " ").trim();
  return words ? words[0].toUpperCase() + words.slice(1) : "Card";
}

/** "Visa •••• 4242" */
export const cardShort = (c: { brand: string; last4: string }) => `${brandName(c.brand)} •••• ${c.last4}`;

/** "12/2029" */
export const cardExpiry = (c: { expMonth: number; expYear: number }) => `${String(c.expMonth).padStart(2, "0")}/${c.expYear}`;

/** An http(s) address as the provider gave it, or null. */
export function linkableUrl(value: string | null): string | null {
  if (!value) return null;
  try {
    const url = new URL(value);
    return url.protocol === "https:" || url.protocol === "http:" ? url.href : null;
  } catch {
    return null;
  }
}
