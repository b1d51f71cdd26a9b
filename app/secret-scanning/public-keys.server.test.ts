import { generateKeyPairSync, sign } from "node:crypto";
import { describe, expect, it } from "vitest";
import { MIN_REFRESH_INTERVAL_MS, PublicKeys } from "./public-keys.server.js";
import { decodeSignature, verifyReportSignature } from "./signature.server.js";

const pair = () => generateKeyPairSync("ec", { namedCurve: "P-256" });
const pem = (k: ReturnType<typeof pair>) => k.publicKey.export({ type: "spki", format: "pem" }).toString();

/** A keys endpoint in memory: what it serves can change, and every fetch is counted. */
function fakeList(initial: { id: string; key: string }[]) {
  let served: { id: string; key: string }[] | "down" = initial;
  let fetches = 0;
  const fetchFn = (async () => {
    fetches++;
    if (served === "down") throw new TypeError("fetch failed");
    return Response.json({ public_keys: served.map((k, i) => ({ key_identifier: k.id, key: k.key, is_current: i === 0 })) });
  }) as unknown as typeof fetch;
  return {
    fetch: fetchFn,
    serve(keys: typeof served) {
      served = keys;
    },
    get fetches() {
      return fetches;
    },
  };
}

describe("the secret scanning key list", () => {
  it("fetches once, then answers from memory; an unknown id refreshes it at most once a minute", async () => {
    const a = pair();
    const b = pair();
    const list = fakeList([{ id: "a", key: pem(a) }]);
    let now = 1_000_000;
    const keys = new PublicKeys("https://keys.test/", { fetch: list.fetch, now: () => now });

    expect((await keys.find("a")).ok).toBe(true);
    expect((await keys.find("a")).ok).toBe(true);
    expect(list.fetches).toBe(1);

    // A burst of made-up ids right after: refused, and nothing more is fetched.
    const burst = await Promise.all(Array.from({ length: 50 }, (_, i) => keys.find(`random-${i}`)));
    expect(burst.every((r) => !r.ok && r.reason === "unknown_key")).toBe(true);
    expect(list.fetches).toBe(1);

    // GitHub rotates: the new id is found once a minute has passed since the last fetch.
    list.serve([
      { id: "b", key: pem(b) },
      { id: "a", key: pem(a) },
    ]);
    now += MIN_REFRESH_INTERVAL_MS - 1;
    expect(await keys.find("b")).toEqual({ ok: false, reason: "unknown_key" });
    expect(list.fetches).toBe(1);
    now += 1;
    expect((await keys.find("b")).ok).toBe(true);
    expect(list.fetches).toBe(2);
  });

  it("concurrent unknown ids share one fetch", async () => {
    const list = fakeList([{ id: "a", key: pem(pair()) }]);
    const keys = new PublicKeys("https://keys.test/", { fetch: list.fetch, now: () => 0 });
    const answers = await Promise.all([keys.find("a"), keys.find("x"), keys.find("y"), keys.find("a")]);
    expect(answers.map((r) => r.ok)).toEqual([true, false, false, true]);
    expect(list.fetches).toBe(1);
  });

  it("a failed fetch keeps the keys it had; an unknown id meanwhile is 'unavailable', not refused", async () => {
    const a = pair();
    const list = fakeList([{ id: "a", key: pem(a) }]);
    let now = 0;
    const failures: string[] = [];
    const keys = new PublicKeys("https://keys.test/", { fetch: list.fetch, now: () => now, onFetchFailed: (why) => failures.push(why) });
    expect((await keys.find("a")).ok).toBe(true);
    list.serve("down");
    now += MIN_REFRESH_INTERVAL_MS;
    expect(await keys.find("new")).toEqual({ ok: false, reason: "unavailable" });
    expect(failures).toEqual(["fetch failed"]);
    expect((await keys.find("a")).ok).toBe(true);
    // Still throttled while down: a flood of ids does not become a flood of fetches.
    await Promise.all(Array.from({ length: 20 }, (_, i) => keys.find(`n${i}`)));
    expect(list.fetches).toBe(2);
  });

  it("entries that are not P-256 public keys are skipped; a withdrawn key stops verifying", async () => {
    const a = pair();
    const rsa = generateKeyPairSync("rsa", { modulusLength: 2048 }).publicKey.export({ type: "spki", format: "pem" }).toString();
    const list = fakeList([
      { id: "a", key: pem(a) },
      { id: "rsa", key: rsa },
      { id: "junk", key: "not a key" },
    ]);
    let now = 0;
    const keys = new PublicKeys("https://keys.test/", { fetch: list.fetch, now: () => now });
    expect((await keys.find("a")).ok).toBe(true);
    expect((await keys.find("rsa")).ok).toBe(false);
    expect((await keys.find("junk")).ok).toBe(false);
    list.serve([]);
    await keys.refresh();
    now += MIN_REFRESH_INTERVAL_MS;
    expect(await keys.find("a")).toEqual({ ok: false, reason: "unknown_key" });
  });

  it("a list that is not GitHub's shape counts as a failed fetch", async () => {
    const keys = new PublicKeys("https://keys.test/", { fetch: (async () => Response.json({ keys: [] })) as unknown as typeof fetch, now: () => 0 });
    expect(await keys.find("a")).toEqual({ ok: false, reason: "unavailable" });
  });
});

describe("the report signature", () => {
  const a = pair();
  const body = Buffer.from('[{"token":"t","type":"x","url":"","source":"commit"}]');
  const signature = sign("sha256", body, { key: a.privateKey, dsaEncoding: "der" }).toString("base64");

  it("verifies over the exact bytes with the named key, nothing else", () => {
    expect(verifyReportSignature(body, decodeSignature(signature)!, pem(a))).toBe(true);
    expect(verifyReportSignature(body, decodeSignature(signature)!, a.publicKey)).toBe(true);
    expect(verifyReportSignature(Buffer.concat([body, Buffer.from(" ")]), decodeSignature(signature)!, a.publicKey)).toBe(false);
    expect(verifyReportSignature(body, decodeSignature(signature)!, pair().publicKey)).toBe(false);
    // Garbage DER: false, not a throw.
    expect(verifyReportSignature(body, Buffer.from("not a der signature at all"), a.publicKey)).toBe(false);
  });

  it.each(["", "not base64!", "a".repeat(200), "MEUCIQ==\u0000"])("a header that is not a base64 signature (%j) decodes to null", (header) => {
    expect(decodeSignature(header)).toBeNull();
  });
});
