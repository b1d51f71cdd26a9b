import { describe, expect, it } from "vitest";
import { countInMemory, FailedAttempts, type FailureCounter } from "./failed-attempts.js";

const rule = { limit: 3, windowMs: 60_000 };

describe("FailedAttempts", () => {
  it("answers 401 (0) up to the limit, then asks the address to wait until the window ends", async () => {
    let now = 0;
    const f = new FailedAttempts({ rule, now: () => now });
    for (let i = 0; i < 3; i++) expect(await f.fail("1.2.3.4")).toBe(0);
    expect(await f.fail("1.2.3.4")).toBe(60);
    expect(await f.fail("5.6.7.8")).toBe(0);
    now = 59_001;
    expect(await f.fail("1.2.3.4")).toBe(1);
    now = 60_000;
    expect(await f.fail("1.2.3.4")).toBe(0);
  });

  it("processes sharing one counter allow the limit together; once over it, a process stops counting (no more writes)", async () => {
    let calls = 0;
    const shared = countInMemory(() => 0);
    const counting: FailureCounter = (key, r) => {
      calls++;
      return shared(key, r);
    };
    const a = new FailedAttempts({ count: counting, rule, now: () => 0 });
    const b = new FailedAttempts({ count: counting, rule, now: () => 0 });
    const answers = [await a.fail("ip"), await b.fail("ip"), await a.fail("ip"), await b.fail("ip"), await a.fail("ip"), await b.fail("ip")];
    expect(answers).toEqual([0, 0, 0, 60, 60, 60]);
    // a learnt the lock at its own 3rd hit, b at its refused 4th: the rest were answered from memory.
    expect(calls).toBe(4);
  });

  it("a counter that fails (database down) answers 401, uncounted, and reports it", async () => {
    const errors: unknown[] = [];
    const f = new FailedAttempts({ count: () => Promise.reject(new Error("down")), onError: (e) => errors.push(e) });
    expect(await f.fail("ip")).toBe(0);
    expect(errors).toHaveLength(1);
  });
});
