import { describe, expect, it } from "vitest";
import { coarseFromNow } from "../models/relative-time.js";
import { expiryDateBounds, parseExpiry, parseSpendLimit } from "./key-options.js";

const now = new Date("2026-12-08T15:30:00Z");

describe("parseExpiry", () => {
  it("reads never, 30 and 90 days from now, and a date as 00:00 UTC that day", () => {
    expect(parseExpiry("never", "", now)).toEqual({ ok: true, value: null });
    expect(parseExpiry("30d", " ", now)).toEqual({ ok: true, value: new Date("2027-01-07T15:30:00Z") });
    expect(parseExpiry("90d", "", now)).toEqual({ ok: true, value: new Date("2027-03-08T15:30:00Z") });
    expect(parseExpiry("date", "2026-12-09", now)).toEqual({ ok: true, value: new Date("2026-12-09T00:00:00Z") });
    expect(parseExpiry("date", "2029-12-08", now)).toEqual({ ok: true, value: new Date("2029-12-08T00:00:00Z") });
  });

  it.each([
    ["date", "2026-12-08", "expiresOn"], // today's midnight has passed
    ["date", "2029-12-09", "expiresOn"], // a day past 3 years
    ["date", "2027-02-29", "expiresOn"], // not a leap year
    ["date", "12/09/2026", "expiresOn"],
    ["date", "", "expiresOn"],
    ["30d", "2027-01-01", "expiresOn"],
    ["1y", "", "expires"],
  ])("refuses %s %j on %s", (choice, date, field) => {
    expect(parseExpiry(choice, date, now)).toMatchObject({ ok: false, field });
  });

  it("bounds the date input the same way", () => {
    expect(expiryDateBounds(now)).toEqual({ min: "2026-12-09", max: "2029-12-08" });
  });
});

describe("parseSpendLimit", () => {
  it.each([
    ["", null],
    ["  ", null],
    ["0.01", 1n],
    ["$12.5", 1250n],
    ["1000000", 100_000_000n],
  ])("%j → %s", (text, cents) => {
    expect(parseSpendLimit(text)).toEqual({ ok: true, value: cents });
  });
  it.each(["0", "0.001", "-1", "1,000", "1e3", "1000000.01", "9".repeat(30)])("refuses %j", (text) => {
    expect(parseSpendLimit(text)).toMatchObject({ ok: false, field: "spendLimit" });
  });
});

describe("coarseFromNow", () => {
  it.each([
    [30_000, "in less than a minute"],
    [5 * 60_000, "in 5 minutes"],
    [59.6 * 60_000, "in 1 hour"],
    [24 * 3600_000 - 5, "in 24 hours"],
    [47.4 * 3600_000, "in 47 hours"],
    [47.6 * 3600_000, "in 2 days"],
    [30 * 86_400_000 - 1000, "in 30 days"],
    [-1, "now"],
  ])("%d ms ahead reads %j", (ms, words) => {
    expect(coarseFromNow(new Date(now.getTime() + ms), now)).toBe(words);
  });
});
