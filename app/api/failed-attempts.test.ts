import { describe, expect, it } from "vitest";
import { FailedAttempts } from "./failed-attempts.js";

describe("FailedAttempts", () => {
  it("lets an address fail up to the limit, then asks it to wait until the window ends", () => {
    let now = 0;
    const f = new FailedAttempts(3, 60_000, () => now);
    for (let i = 0; i < 3; i++) {
      expect(f.retryAfter("1.2.3.4")).toBe(0);
      f.fail("1.2.3.4");
    }
    expect(f.retryAfter("1.2.3.4")).toBe(60);
    expect(f.retryAfter("5.6.7.8")).toBe(0);
    now = 59_001;
    expect(f.retryAfter("1.2.3.4")).toBe(1);
    now = 60_000;
    expect(f.retryAfter("1.2.3.4")).toBe(0);
  });
});
