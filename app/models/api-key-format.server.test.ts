import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { apiKeyDisplayParts, generateApiKey, hashApiKey, isWellFormedApiKey, KEY_LENGTH, parseBearer } from "./api-key-format.server.js";

describe("API key format", () => {
  it("generates tgp_v1_ + 43 URL-safe characters, all different", () => {
    const keys = new Set(Array.from({ length: 2000 }, generateApiKey));
    expect(keys.size).toBe(2000);
    for (const k of keys) {
      expect(k).toMatch(/^tgp_v1_[A-Za-z0-9_-]{43}$/);
      expect(k).toHaveLength(KEY_LENGTH);
      expect(isWellFormedApiKey(k)).toBe(true);
    }
  });

  it("uses the whole alphabet in every position (not base64's 4-bit tail)", () => {
    const last = new Set(Array.from({ length: 4000 }, () => generateApiKey().slice(-1)));
    expect(last.size).toBeGreaterThan(60);
  });

  it("display parts are the prefix plus four characters and the last four", () => {
    const k = "tgp_v1_ABCDefghijklmnopqrstuvwxyz0123456789-_xXYZW";
    expect(k).toHaveLength(KEY_LENGTH);
    expect(apiKeyDisplayParts(k)).toEqual({ prefix: "tgp_v1_ABCD", last4: "XYZW" });
  });

  it("stores a SHA-256, never the key", () => {
    const k = generateApiKey();
    expect(hashApiKey(k)).toHaveLength(32);
    expect(hashApiKey(k).toString("latin1")).not.toContain(k.slice(7));
  });

  it("rejects wrong prefix, length or alphabet", () => {
    const body = "a".repeat(43);
    for (const bad of [
      `tgp_v2_${body}`,
      `tgp_v1_${body}a`,
      `tgp_v1_${body.slice(1)}`,
      `tgp_v1_${body.slice(1)}=`,
      `tgp_v1_${body.slice(1)}é`,
      "",
      `TGP_V1_${body}`,
    ]) {
      expect(isWellFormedApiKey(bad)).toBe(false);
    }
  });

  it("parseBearer never throws and never accepts a malformed key, for any string", () => {
    fc.assert(
      fc.property(fc.option(fc.fullUnicodeString({ maxLength: 200 }), { nil: undefined }), (header) => {
        const r = parseBearer(header);
        if (r.kind === "key") expect(isWellFormedApiKey(r.key)).toBe(true);
      }),
      { numRuns: 5000, seed: 42 },
    );
    fc.assert(
      fc.property(fc.stringMatching(/^[A-Za-z0-9_-]{43}$/), (body) => {
        expect(parseBearer(`Bearer tgp_v1_${body}`)).toEqual({ kind: "key", key: `tgp_v1_${body}` });
        expect(parseBearer(`bearer   tgp_v1_${body}`).kind).toBe("key");
      }),
      { numRuns: 500, seed: 7 },
    );
  });

  it("tells missing from malformed", () => {
    expect(parseBearer(undefined)).toEqual({ kind: "missing" });
    expect(parseBearer("")).toEqual({ kind: "missing" });
    expect(parseBearer("Basic dXNlcjpwYXNz")).toEqual({ kind: "malformed" });
    expect(parseBearer("Bearer")).toEqual({ kind: "malformed" });
    expect(parseBearer(`Bearer ${generateApiKey()} extra`)).toEqual({ kind: "malformed" });
  });
});
