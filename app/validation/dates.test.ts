import { describe, expect, it } from "vitest";
import { endOfUtcDay, parseUtc } from "./dates.js";

describe("parseUtc", () => {
  it("reads the shapes the console's filters and links carry, as UTC unless an offset is named", () => {
    expect(parseUtc("2026-11-27")?.toISOString()).toBe("2026-11-27T00:00:00.000Z");
    expect(parseUtc("2026-11-27T08:30")?.toISOString()).toBe("2026-11-27T08:30:00.000Z");
    expect(parseUtc("2026-11-27 08:30:15.123456+00")?.toISOString()).toBe("2026-11-27T08:30:15.123Z");
    expect(parseUtc("2026-11-27T08:30:00+01:00")?.toISOString()).toBe("2026-11-27T07:30:00.000Z");
    expect(parseUtc("2026-11-27T08:30:00-0130")?.toISOString()).toBe("2026-11-27T10:00:00.000Z");
    expect(parseUtc("0050-03-01")?.toISOString()).toBe("0050-03-01T00:00:00.000Z");
  });

  it("refuses what the calendar, the clock or PostgreSQL do not have", () => {
    for (const bad of [
      "2026-04-31",
      "2025-02-29",
      "2026-01-01T24:00",
      "2026-01-01T23:60",
      "0000-01-01",
      "2026-01-01T00:00+16:00",
      "2026-01-01T00:00+01:60",
      "yesterday",
    ]) {
      expect(parseUtc(bad), bad).toBeNull();
    }
  });

  it("ends a day at its last millisecond", () => {
    expect(endOfUtcDay(parseUtc("2026-02-28")!).toISOString()).toBe("2026-02-28T23:59:59.999Z");
  });
});
