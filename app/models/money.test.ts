import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { centsToDollarsInput, formatCents, formatSignedCents, parseDollarsToCents } from "./money.js";

describe("money", () => {
  it.each([
    ["12", 1200n],
    ["12.5", 1250n],
    ["12.34", 1234n],
    ["$0.01", 1n],
    ["-3.00", -300n],
    [" 7 ", 700n],
  ])("parses %s", (input, cents) => expect(parseDollarsToCents(input)).toBe(cents));

  it.each(["", "abc", "1e3", "1,000", "12.345", "--1", "NaN", "Infinity", "0x10", "1.", ".5"])("refuses %s", (input) => {
    expect(parseDollarsToCents(input)).toBeNull();
  });

  it("round-trips through formatting for any amount", () => {
    fc.assert(
      fc.property(fc.bigInt({ min: -(10n ** 13n), max: 10n ** 13n }), (cents) => {
        const text = formatCents(cents).replace("−", "-").replace(/,/g, "");
        expect(parseDollarsToCents(text)).toBe(cents);
      }),
      { numRuns: 2000, seed: 3 },
    );
  });

  it("shows ledger amounts with their sign and form values that parse back", () => {
    expect(formatSignedCents(1250n)).toBe("+$12.50");
    expect(formatSignedCents("-300")).toBe("−$3.00");
    for (const c of [0n, 5n, -5n, 123456n, -10000n]) expect(parseDollarsToCents(centsToDollarsInput(c))).toBe(c);
  });
});
