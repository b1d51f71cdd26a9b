/**
 * CSV as the console's audit export and Billing's ledger download write it
 * (RFC 4180: CRLF lines, quoted when a cell holds a quote, comma or line break).
 */

/**
 * One CSV cell. Text people wrote (key names, notes, audit details) could start
 * a formula in a spreadsheet (=HYPERLINK(…), +cmd|…): a cell starting with
 * = + - @, a tab or a carriage return (OWASP's list) gets a leading apostrophe,
 * so it is shown as text. Amounts we write as plain decimals pass as numbers.
 */
export function csvCell(value: string | null | undefined, opts: { number?: boolean } = {}): string {
  let v = value ?? "";
  if (!opts.number && /^[=+\-@\t\r]/.test(v)) v = `'${v}`;
  return /[",\r\n]/.test(v) ? `"${v.replace(/"/g, '""')}"` : v;
}

/** One CSV line of text cells, with its CRLF. */
export const csvLine = (cells: readonly (string | null | undefined)[]): string => cells.map((c) => csvCell(c)).join(",") + "\r\n";
