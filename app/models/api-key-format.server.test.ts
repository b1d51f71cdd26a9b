import fc from "fast-check";
import { describe, expect, it } from "vitest";
import {
  apiKeyDisplayParts,
  CHECKSUMMED_KEY_PATTERN,
  generateApiKey,
  hashApiKey,
  hasValidChecksum,
  isWellFormedApiKey,
  KEY_LENGTH,
  KEY_PREFIX,
  keyChecksum,
  parseBearer,
} from "./api-key-format.server.js";

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

/**
 * The checksum checked against an implementation of its own (not node:zlib's):
 * CRC-32 (IEEE 802.3, reflected polynomial 0xEDB88320), bit by bit.
 */
function referenceCrc32(text: string): number {
  let crc = 0xffffffff;
  for (const byte of Buffer.from(text, "utf8")) {
    crc ^= byte;
    for (let i = 0; i < 8; i++) crc = crc & 1 ? (crc >>> 1) ^ 0xedb88320 : crc >>> 1;
  }
  return (crc ^ 0xffffffff) >>> 0;
}
const BASE62 = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";
/** Six base62 digits back to a number, most significant first. */
const fromBase62 = (digits: string) => [...digits].reduce((n, d) => n * 62 + BASE62.indexOf(d), 0);
const KEY_ALPHABET = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
const ANCHORED = new RegExp(`^${CHECKSUMMED_KEY_PATTERN}$`);
/** A key built by the test from any 37 characters, with the checksum from the reference implementation. */
const body37 = fc.stringMatching(/^[A-Za-z0-9_-]{37}$/);
const keyFrom = (body: string) => {
  const first44 = KEY_PREFIX + body;
  const n = referenceCrc32(first44);
  let digits = "";
  for (let i = 0, m = n; i < 6; i++, m = Math.floor(m / 62)) digits = BASE62[m % 62] + digits;
  return first44 + digits;
};

describe("key checksums", () => {
  it("every generated key carries a valid checksum and matches the scanner pattern, whole", () => {
    for (let i = 0; i < 5000; i++) {
      const key = generateApiKey();
      expect(hasValidChecksum(key)).toBe(true);
      expect(key).toMatch(ANCHORED);
      // The checksum is the reference CRC-32 of the first 44 characters.
      expect(fromBase62(key.slice(44))).toBe(referenceCrc32(key.slice(0, 44)));
    }
  });

  it("the scanner pattern finds a key in surrounding text, exactly that key", () => {
    const key = generateApiKey();
    const found = `const apiKey = "${key}"; // oops`.match(new RegExp(CHECKSUMMED_KEY_PATTERN, "g"));
    expect(found).toEqual([key]);
  });

  it("is the CRC-32 of the first 44 characters as 6 base62 digits, big-endian (known vectors)", () => {
    // The standard CRC-32 check value: CRC32("123456789") = 0xCBF43926 = 3421780262
    // = 3·62^5 + 45·62^4 + 35·62^3 + 27·62^2 + 22·62 + 14 → "3", "j", "Z", "R", "M", "E".
    expect(referenceCrc32("123456789")).toBe(0xcbf43926);
    expect(keyChecksum("123456789")).toBe("3jZRME");
    // A key whose CRC is small (29391 = 7·62^2 + 40·62 + 3, found by a search over random bodies): zero-padded to six digits.
    const small = "tgp_v1_sbCqd5ExbHHVBNXOqCIseE6pGPWizwOcmm6RN";
    expect(referenceCrc32(small)).toBe(29391);
    expect(keyChecksum(small)).toBe("0007e3");
    expect(hasValidChecksum(`${small}0007e3`)).toBe(true);
    expect(hasValidChecksum(`${small}7e3000`)).toBe(false);
    expect(hasValidChecksum(`${small}7e3`)).toBe(false);
  });

  it("matches the reference for any string, always six digits (zero-padded when the CRC is small)", () => {
    fc.assert(
      fc.property(fc.string({ maxLength: 60 }), (s) => {
        const digits = keyChecksum(s);
        expect(digits).toMatch(/^[0-9A-Za-z]{6}$/);
        expect(fromBase62(digits)).toBe(referenceCrc32(s));
      }),
      { numRuns: 5000, seed: 16 },
    );
    // About one body in five has a CRC below 62^5 (a leading zero): a few hundred bodies must show some.
    let padded = 0;
    fc.assert(
      fc.property(body37, (body) => {
        const key = keyFrom(body);
        expect(keyChecksum(key.slice(0, 44))).toBe(key.slice(44));
        if (key[44] === "0") padded++;
      }),
      { numRuns: 500, seed: 17 },
    );
    expect(padded).toBeGreaterThan(20);
  });

  it("refuses every single-character change, at any position, to any other character of the alphabet", () => {
    const check = (key: string) => {
      expect(hasValidChecksum(key)).toBe(true);
      for (let pos = 0; pos < key.length; pos++) {
        // The prefix too: a changed prefix is no key of ours (and no longer well formed).
        for (const c of pos < KEY_PREFIX.length ? `${KEY_ALPHABET}.` : KEY_ALPHABET) {
          if (c === key[pos]) continue;
          const changed = key.slice(0, pos) + c + key.slice(pos + 1);
          if (hasValidChecksum(changed)) throw new Error(`a change at ${pos} to ${c} kept a valid checksum: ${changed}`);
        }
      }
    };
    fc.assert(
      fc.property(body37, (body) => check(keyFrom(body))),
      { numRuns: 150, seed: 18 },
    );
    for (let i = 0; i < 50; i++) check(generateApiKey());
  });

  it("refuses a key of the old shape (43 random characters), a key of the wrong length and a look-alike prefix", () => {
    const key = generateApiKey();
    const body = key.slice(KEY_PREFIX.length);
    expect(hasValidChecksum(`${key}A`)).toBe(false);
    expect(hasValidChecksum(key.slice(0, -1))).toBe(false);
    expect(hasValidChecksum(`tgp_v2_${body}`)).toBe(false);
    expect(hasValidChecksum(`sk_live${body}`)).toBe(false);
    // Legacy keys: 43 characters from the CSPRNG, the last 6 arbitrary; one in 2^32 may pass by chance, 2,000 do not.
    fc.assert(
      fc.property(fc.stringMatching(/^[A-Za-z0-9_-]{43}$/), (legacyBody) => {
        expect(hasValidChecksum(KEY_PREFIX + legacyBody)).toBe(false);
      }),
      { numRuns: 2000, seed: 19 },
    );
  });
});
