import { describe, expect, it } from "vitest";
import { NotifiedCache } from "./notified-cache.js";

function deferred<T>() {
  let resolve!: (v: T) => void;
  const promise = new Promise<T>((r) => (resolve = r));
  return { promise, resolve };
}

describe("NotifiedCache", () => {
  const make = (healthy = () => true, now = () => 1000) => new NotifiedCache<string>({ maxEntries: 3, isFeedHealthy: healthy, now });

  it("caches a load until its TTL", async () => {
    let t = 1000;
    const c = make(
      () => true,
      () => t,
    );
    expect(
      await c.load(
        "k",
        () => 50,
        async () => "v",
      ),
    ).toBe("v");
    expect(c.get("k")).toBe("v");
    t = 1049;
    expect(c.get("k")).toBe("v");
    t = 1050;
    expect(c.get("k")).toBeUndefined();
  });

  it("does not store a load that was invalidated while in flight (it may have read the old row)", async () => {
    const c = make();
    const gate = deferred<string>();
    const loading = c.load(
      "k",
      () => 10_000,
      () => gate.promise,
    );
    c.invalidate("k");
    gate.resolve("stale");
    expect(await loading).toBe("stale");
    expect(c.get("k")).toBeUndefined();
  });

  it("does not store a load that straddled a reset, nor anything while the feed is down", async () => {
    let healthy = true;
    const c = make(() => healthy);
    const gate = deferred<string>();
    const loading = c.load(
      "a",
      () => 10_000,
      () => gate.promise,
    );
    c.reset();
    gate.resolve("x");
    await loading;
    expect(c.get("a")).toBeUndefined();
    healthy = false;
    await c.load(
      "b",
      () => 10_000,
      async () => "y",
    );
    expect(c.get("b")).toBeUndefined();
  });

  it("invalidate and reset drop entries; size stays bounded", async () => {
    const c = make();
    for (const k of ["a", "b", "c", "d", "e"])
      await c.load(
        k,
        () => 10_000,
        async () => k,
      );
    expect(["a", "b", "c", "d", "e"].filter((k) => c.get(k) !== undefined).length).toBeLessThanOrEqual(3);
    expect(c.get("e")).toBe("e");
    c.invalidate("e");
    expect(c.get("e")).toBeUndefined();
    c.reset();
    expect(c.get("d")).toBeUndefined();
  });

  it("invalidateWhere drops matching entries and voids loads in flight", async () => {
    const c = make();
    await c.load(
      "a",
      () => 10_000,
      async () => "acct-1",
    );
    await c.load(
      "b",
      () => 10_000,
      async () => "acct-2",
    );
    const gate = deferred<string>();
    const loading = c.load(
      "c",
      () => 10_000,
      () => gate.promise,
    );
    c.invalidateWhere((v) => v === "acct-1");
    gate.resolve("acct-1");
    await loading;
    expect(c.get("a")).toBeUndefined();
    expect(c.get("b")).toBe("acct-2");
    expect(c.get("c")).toBeUndefined();
  });

  describe("beginWrite: a write of this process is read back at once, never going back in time", () => {
    it("a committed write replaces the cached value before any notification", async () => {
      const c = make();
      await c.load(
        "k",
        () => 10_000,
        async () => "balance 100",
      );
      const w = c.beginWrite("k");
      w.committed("balance 90", 1n, 10_000);
      expect(c.get("k")).toBe("balance 90");
    });

    it("two writes finishing out of order: the later commit stays", async () => {
      const c = make();
      const a = c.beginWrite("k");
      const b = c.beginWrite("k");
      b.committed("balance 80", 2n, 10_000);
      a.committed("balance 90", 1n, 10_000);
      expect(c.get("k")).toBe("balance 80");
    });

    it("a notification since the ticket (maybe a later commit elsewhere) drops the entry instead", async () => {
      const c = make();
      await c.load(
        "k",
        () => 10_000,
        async () => "balance 100",
      );
      const w = c.beginWrite("k");
      c.invalidate("k");
      w.committed("balance 90", 1n, 10_000);
      expect(c.get("k")).toBeUndefined();
    });

    it("a load that read the row before the commit is not stored after it", async () => {
      const c = make();
      const gate = deferred<string>();
      const loading = c.load(
        "k",
        () => 10_000,
        () => gate.promise,
      );
      c.beginWrite("k").committed("balance 90", 1n, 10_000);
      gate.resolve("balance 100");
      await loading;
      expect(c.get("k")).toBe("balance 90");
    });

    it("stores nothing while the feed is down or across a reset; unknown drops and blocks the others", async () => {
      let healthy = false;
      const c = make(() => healthy);
      c.beginWrite("a").committed("x", 1n, 10_000);
      expect(c.get("a")).toBeUndefined();
      healthy = true;
      const w = c.beginWrite("b");
      c.reset();
      w.committed("y", 1n, 10_000);
      expect(c.get("b")).toBeUndefined();
      await c.load(
        "d",
        () => 10_000,
        async () => "old",
      );
      const first = c.beginWrite("d");
      const second = c.beginWrite("d");
      first.unknown();
      expect(c.get("d")).toBeUndefined();
      second.committed("maybe older than the unknown one", 1n, 10_000);
      expect(c.get("d")).toBeUndefined();
      c.beginWrite("d").unchanged();
      expect(c.get("d")).toBeUndefined();
    });
  });

  describe("versioned keys: a notification of a version the cache holds keeps it", () => {
    const version = (v: string) => BigInt(v.split("@")[1]);

    it("the notification of this process's own commit keeps what the commit put in; a newer one drops it", () => {
      const c = make();
      c.beginWrite("a").committed("balance 90@7", 7n, 10_000);
      c.invalidate("a", 7n);
      expect(c.get("a")).toBe("balance 90@7");
      c.invalidate("a", 6n);
      expect(c.get("a")).toBe("balance 90@7");
      c.invalidate("a", 8n);
      expect(c.get("a")).toBeUndefined();
    });

    it("a load keeps what it read unless a newer version was announced while it was in flight", async () => {
      const c = make();
      const slow = deferred<string>();
      const loading = c.load(
        "a",
        () => 10_000,
        () => slow.promise,
        version,
      );
      c.invalidate("a", 5n);
      slow.resolve("balance 50@5");
      await loading;
      expect(c.get("a")).toBe("balance 50@5");

      const stale = deferred<string>();
      const loadingStale = c.load(
        "b",
        () => 10_000,
        () => stale.promise,
        version,
      );
      c.invalidate("b", 6n);
      stale.resolve("balance 50@5");
      await loadingStale;
      expect(c.get("b")).toBeUndefined();
    });

    it("a commit is not stored over a newer version, nor when a newer one was announced while it was open", async () => {
      const c = make();
      await c.load(
        "a",
        () => 10_000,
        async () => "balance 40@9",
        version,
      );
      c.beginWrite("a").committed("balance 50@8", 8n, 10_000);
      expect(c.get("a")).toBe("balance 40@9");

      const w = c.beginWrite("b");
      c.invalidate("b", 4n);
      w.committed("balance 30@3", 3n, 10_000);
      expect(c.get("b")).toBeUndefined();
    });

    it("a notification without a version still drops the entry, loads and writes in flight", async () => {
      const c = make();
      c.beginWrite("a").committed("balance 90@7", 7n, 10_000);
      c.invalidate("a");
      expect(c.get("a")).toBeUndefined();
      const w = c.beginWrite("a");
      c.invalidate("a");
      w.committed("balance 80@8", 8n, 10_000);
      expect(c.get("a")).toBeUndefined();
    });
  });
});
