/**
 * Property-based tests for every parser and validator that reads input from
 * outside: API keys, money, email addresses, signed unsubscribe tokens,
 * invitation and confirmation tokens, new passwords, the audit query, the
 * workflow filter, safe redirects and the keyset cursors of the console.
 *
 * Each property states what the module promises (its doc comment, or what its
 * callers rely on), over hostile input (test/fuzz/helpers/strings.ts). Seeded
 * by FUZZ_SEED, FUZZ_RUNS runs each (test/fuzz/helpers/config.ts); a failure
 * prints the seed and the shrunk counterexample.
 *
 * A few properties need PostgreSQL (a parser's promise is "what I accept, the
 * query can take"): they run against a fresh clone of the test template.
 */
import { dictionary } from "@zxcvbn-ts/language-common";
import fc from "fast-check";
import { sql } from "kysely";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { signUnsubscribeToken, verifyUnsubscribeToken } from "../../app/mailing-lists/unsubscribe-token.server.js";
import { listOutbox, OUTBOX_PAGE_SIZE } from "../../app/mail/mailer.server.js";
import { safeRedirect } from "../../app/auth/safe-redirect.js";
import { newPasswordProblem, PASSWORD_MAX, PASSWORD_MIN } from "../../app/auth/passwords.server.js";
import { getAccount } from "../../app/models/accounts.server.js";
import { isUuid } from "../../app/validation/ids.js";
import {
  apiKeyDisplayParts,
  generateApiKey,
  hashApiKey,
  isWellFormedApiKey,
  KEY_LENGTH,
  KEY_PREFIX,
  parseBearer,
} from "../../app/models/api-key-format.server.js";
import { writeAudit } from "../../app/models/audit.server.js";
import { auditBatches, auditFilterParams, parseAuditQuery, parseUtc, searchAudit, AUDIT_PAGE_SIZE } from "../../app/models/audit-search.server.js";
import { EmailSchema, emailTombstoneHmac, maskEmail, normalizeEmail } from "../../app/models/email.server.js";
import { findInvitation, INVITATION_TOKEN } from "../../app/models/invitations.server.js";
import { listLedger, newerLedgerCursor, postLedgerEntry } from "../../app/models/ledger.server.js";
import { centsToDollarsInput, formatCents, formatSignedCents, parseDollarsToCents } from "../../app/models/money.js";
import { createWebTransferTicket, findConfirmation, issueConfirmToken } from "../../app/models/tickets.server.js";
import { visibilityQuery, WorkflowFilter, WORKFLOW_STATUSES, WORKFLOW_TYPES } from "../../app/temporal/history.server.js";
import { accountWithKey } from "../helpers/accounts.js";
import { freshDatabase, type FreshDatabase } from "../helpers/database.js";
import { FUZZ_RUNS, FUZZ_SEED } from "./helpers/config.js";
import { anyText, BAD_PERCENT, NUMBERS, UNICODE_EDGES } from "./helpers/strings.js";

fc.configureGlobal({ seed: FUZZ_SEED, numRuns: FUZZ_RUNS });
/** Properties that touch PostgreSQL run fewer times: each run is a few round trips. */
const DB_RUNS = Math.max(10, Math.ceil(FUZZ_RUNS / 4));

const B64URL = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
const b64urlChar = fc.constantFrom(...B64URL);
const b64urlString = (length: number) => fc.string({ unit: b64urlChar, minLength: length, maxLength: length });
const lowerUuid = fc.uuid().map((u) => u.toLowerCase());

/** Changes one character of `s` at `at` to something else (never the same character). */
function replaceAt(s: string, at: number, by: string): string {
  const i = at % s.length;
  const replacement = by === s[i] ? (by === "A" ? "B" : "A") : by;
  return s.slice(0, i) + replacement + s.slice(i + 1);
}

// ---------------------------------------------------------------------------

describe("API key format (app/models/api-key-format.server.ts)", () => {
  const ORACLE = /^tgp_v1_[A-Za-z0-9_-]{43}$/;
  const wellFormed = b64urlString(43).map((body) => KEY_PREFIX + body);
  /** Near misses of a real key: one character changed, inserted or dropped, truncated, extended, re-cased, padded. */
  const nearMiss = fc.oneof(
    fc
      .tuple(wellFormed, fc.nat(), fc.oneof(fc.constantFrom(...UNICODE_EDGES, "+", "/", "=", ".", "~"), fc.string({ minLength: 1, maxLength: 1 })))
      .map(([k, i, c]) => replaceAt(k, i, c || "=")),
    fc.tuple(wellFormed, fc.nat(), b64urlChar).map(([k, i, c]) => k.slice(0, i % k.length) + c + k.slice(i % k.length)),
    fc.tuple(wellFormed, fc.nat()).map(([k, i]) => k.slice(0, i % k.length) + k.slice((i % k.length) + 1)),
    fc.tuple(wellFormed, fc.nat({ max: KEY_LENGTH - 1 })).map(([k, n]) => k.slice(0, n)),
    fc.tuple(wellFormed, fc.constantFrom(" ", "\n", "\u0000", "=", "A", "\u200B")).map(([k, s]) => k + s),
    wellFormed.map((k) => k.toUpperCase()),
    wellFormed.map((k) => "TGP_V1_" + k.slice(KEY_PREFIX.length)),
    wellFormed.map((k) => "tgp_v2_" + k.slice(KEY_PREFIX.length)),
  );
  const candidates = fc.oneof(anyText(80), nearMiss, wellFormed);

  it("accepts exactly tgp_v1_ + 43 URL-safe characters, whatever else it is given, and never throws", () => {
    fc.assert(
      fc.property(candidates, (s) => {
        expect(isWellFormedApiKey(s)).toBe(ORACLE.test(s));
      }),
    );
  });

  it("generated keys are well formed and round-trip through the Authorization header", () => {
    const spacing = fc.tuple(fc.constantFrom("Bearer", "bearer", "BEARER", "BeArEr"), fc.integer({ min: 1, max: 3 }), fc.integer({ min: 0, max: 3 }));
    fc.assert(
      fc.property(
        fc.oneof(
          wellFormed,
          fc.constant(null).map(() => generateApiKey()),
        ),
        spacing,
        (key, [scheme, before, after]) => {
          expect(isWellFormedApiKey(key)).toBe(true);
          expect(parseBearer(`${scheme}${" ".repeat(before)}${key}${" ".repeat(after)}`)).toEqual({ kind: "key", key });
        },
      ),
    );
  });

  it("parseBearer never throws, never hands back a malformed key, and never echoes a refused header", () => {
    const header = fc.oneof(
      fc.constant(undefined),
      anyText(200),
      candidates.map((k) => `Bearer ${k}`),
      fc.tuple(fc.constantFrom("Basic ", "Token ", "Bearer", "Bearer\t", "Bearer  ", " Bearer ", "Bearer\u00A0"), candidates).map(([a, b]) => a + b),
    );
    fc.assert(
      fc.property(header, (h) => {
        const parsed = parseBearer(h);
        if (parsed.kind === "key") expect(isWellFormedApiKey(parsed.key)).toBe(true);
        else expect(Object.keys(parsed)).toEqual(["kind"]);
        if (!h) expect(parsed.kind).toBe("missing");
      }),
    );
  });

  it("stores a fixed-size hash and shows at most 8 of the 43 secret characters", () => {
    fc.assert(
      fc.property(wellFormed, (key) => {
        expect(hashApiKey(key)).toHaveLength(32);
        expect(hashApiKey(key).equals(hashApiKey(key))).toBe(true);
        const { prefix, last4 } = apiKeyDisplayParts(key);
        expect(prefix.startsWith(KEY_PREFIX)).toBe(true);
        expect(prefix.length - KEY_PREFIX.length + last4.length).toBeLessThanOrEqual(8);
        expect(key.startsWith(prefix) && key.endsWith(last4)).toBe(true);
      }),
    );
  });
});

// ---------------------------------------------------------------------------

describe("money (app/models/money.ts)", () => {
  const MAX_CENTS = 10n ** 14n - 1n; // 12 digits of dollars, 2 of cents
  const dollars = fc.stringMatching(/^\d{1,12}$/);
  const cents = fc.oneof(fc.constant(""), fc.stringMatching(/^\d$/), fc.stringMatching(/^\d\d$/));
  const space = fc.constantFrom("", " ", "  ", "\t", "\n", "\u00A0", "\uFEFF");

  it("reads every dollars[.cents] string exactly (integer arithmetic, no float rounding)", () => {
    fc.assert(
      fc.property(fc.boolean(), fc.boolean(), dollars, cents, space, space, (negative, dollarSign, d, c, lead, trail) => {
        const text = `${lead}${negative ? "-" : ""}${dollarSign ? "$" : ""}${d}${c ? `.${c}` : ""}${trail}`;
        const expected = BigInt(d) * 100n + BigInt(c.padEnd(2, "0") || "0");
        expect(parseDollarsToCents(text)).toBe(negative ? -expected : expected);
      }),
    );
    // Where a float would go wrong.
    expect(parseDollarsToCents("0.29")).toBe(29n); // 0.29 * 100 = 28.999999999999996
    expect(parseDollarsToCents("999999999999.99")).toBe(99_999_999_999_999n);
    expect(parseDollarsToCents("4503599627370.49")).toBeNull(); // 13 digits of dollars: refused, not rounded
  });

  it("form values round-trip: parse(centsToDollarsInput(c)) = c, and formatCents reads back once de-localized", () => {
    fc.assert(
      fc.property(fc.bigInt({ min: -MAX_CENTS, max: MAX_CENTS }), (c) => {
        expect(parseDollarsToCents(centsToDollarsInput(c))).toBe(c);
        expect(centsToDollarsInput(c)).toMatch(/^-?\d+\.\d{2}$/);
        const shown = formatCents(c);
        expect(shown).toMatch(/^−?\$\d{1,3}(,\d{3})*\.\d{2}$/);
        expect(parseDollarsToCents(shown.replace("−", "-").replace(/,/g, ""))).toBe(c);
        const signed = formatSignedCents(c);
        expect(signed.startsWith("+")).toBe(c > 0n);
        expect(signed.startsWith("−")).toBe(c < 0n);
        // Every input type the signature allows gives the same text.
        expect(formatCents(c.toString())).toBe(shown);
        if (c >= BigInt(Number.MIN_SAFE_INTEGER) && c <= BigInt(Number.MAX_SAFE_INTEGER)) expect(formatCents(Number(c))).toBe(shown);
      }),
    );
  });

  it("refuses junk (exponents, separators, 3 decimals, look-alike digits, 13+ digits) and never throws", () => {
    const junk = fc.oneof(
      anyText(40),
      fc.constantFrom(...NUMBERS),
      fc.tuple(dollars, fc.constantFrom("e3", "E-2", ",000", ".", ".123", "..5", " 5", "-", "$", "%", "¢")).map(([d, s]) => d + s),
      fc.tuple(fc.constantFrom("+", "--", "$-", "−", "(", "0x", "USD "), dollars).map(([p, d]) => p + d),
      fc.stringMatching(/^\d{13,20}(\.\d{1,2})?$/),
      fc.constantFrom("١٢", "１２", "12\u200B", "1\u00A02", "12.3\u0661"),
    );
    const ACCEPTED = /^\s*-?\$?\d{1,12}(\.\d{1,2})?\s*$/;
    fc.assert(
      fc.property(junk, (s) => {
        const parsed = parseDollarsToCents(s);
        if (!ACCEPTED.test(s)) expect(parsed).toBeNull();
        if (parsed !== null) {
          expect(typeof parsed).toBe("bigint");
          expect(parsed <= MAX_CENTS && parsed >= -MAX_CENTS).toBe(true);
        }
      }),
    );
  });
});

// ---------------------------------------------------------------------------

describe("email addresses (app/models/email.server.ts)", () => {
  const label = fc.stringMatching(/^[a-z0-9]([a-z0-9-]{0,10}[a-z0-9])?$/);
  const localPart = fc.array(fc.stringMatching(/^[a-z0-9][a-z0-9_+-]{0,6}$/), { minLength: 1, maxLength: 3 }).map((parts) => parts.join("."));
  const plainAddress = fc
    .tuple(localPart, fc.array(label, { minLength: 1, maxLength: 3 }), fc.stringMatching(/^[a-z]{2,6}$/))
    .map(([l, labels, tld]) => `${l}@${labels.join(".")}.${tld}`);
  const casing = (s: string) => fc.mixedCase(fc.constant(s));
  const blank = fc.constantFrom("", " ", "  ", "\t", "\n", "\r\n", " \t ");

  it("normalizeEmail is idempotent on any text", () => {
    fc.assert(
      fc.property(fc.oneof(anyText(80), plainAddress), (s) => {
        expect(normalizeEmail(normalizeEmail(s))).toBe(normalizeEmail(s));
      }),
    );
  });

  it("EmailSchema accepts plain addresses in any case and with surrounding space, as their normal form", () => {
    fc.assert(
      fc.property(
        plainAddress.chain((a) => fc.tuple(fc.constant(a), casing(a))),
        blank,
        blank,
        ([address, cased], a, b) => {
          const parsed = EmailSchema.safeParse(`${a}${cased}${b}`);
          expect(parsed.success).toBe(true);
          if (parsed.success) expect(parsed.data).toBe(address);
        },
      ),
    );
  });

  it("EmailSchema never throws, and what it accepts is normal, re-accepted unchanged, at most 320 characters, one line", () => {
    const input = fc.oneof(
      anyText(80),
      plainAddress,
      fc
        .tuple(plainAddress, fc.nat(), fc.constantFrom(...UNICODE_EDGES, "@", "..", " ", "<", ">", ","))
        .map(([a, i, c]) => a.slice(0, i % a.length) + c + a.slice(i % a.length)),
      plainAddress.map((a) => `${"a".repeat(320)}${a}`),
      fc.anything(),
    );
    fc.assert(
      fc.property(input, (s) => {
        const parsed = EmailSchema.safeParse(s);
        if (!parsed.success) return;
        expect(parsed.data).toBe(normalizeEmail(parsed.data));
        expect(EmailSchema.safeParse(parsed.data)).toEqual({ success: true, data: parsed.data });
        expect(parsed.data.length).toBeLessThanOrEqual(320);
        expect(parsed.data).not.toMatch(/[\s\u0000-\u001f]/);
        expect(parsed.data.split("@").length).toBe(2);
      }),
    );
  });

  it("EmailSchema refuses what is not an address", () => {
    const notAddress = fc.oneof(
      fc.constantFrom(
        "",
        "@",
        "a@",
        "@b.com",
        "a@@b.com",
        "a b@c.com",
        "a@b c.com",
        "a@b",
        "a\u0000@b.com",
        "<a@b.com>",
        "a@b.com, c@d.com",
        "a@b.com\nBcc: c@d.com",
      ),
      plainAddress.map((a) => a.replace("@", "")),
      plainAddress.map((a) => a.replace("@", "@@")),
      plainAddress.map((a) => `${"x".repeat(321 - a.length + 1)}${a}`),
    );
    fc.assert(
      fc.property(notAddress, (s) => {
        expect(EmailSchema.safeParse(s).success).toBe(false);
      }),
    );
  });

  it("the tombstone HMAC is the same for any case and surrounding white space, different for different addresses", () => {
    const secret = "fuzz-tombstone-secret-fuzz-tombstone-secret";
    fc.assert(
      fc.property(
        plainAddress.chain((a) => fc.tuple(fc.constant(a), casing(a))),
        blank,
        blank,
        plainAddress,
        ([address, cased], a, b, other) => {
          const h = emailTombstoneHmac(secret, address);
          expect(h).toHaveLength(32);
          expect(emailTombstoneHmac(secret, `${a}${cased}${b}`).equals(h)).toBe(true);
          if (other !== address) expect(emailTombstoneHmac(secret, other).equals(h)).toBe(false);
          expect(emailTombstoneHmac(`${secret}x`, address).equals(h)).toBe(false);
        },
      ),
    );
  });

  it("maskEmail shows at most one character of the local part and nothing else of it", () => {
    const input = fc.oneof(
      plainAddress,
      anyText(60),
      fc.tuple(anyText(20), anyText(20)).map(([l, d]) => `${l}@${d}`),
    );
    fc.assert(
      fc.property(input, (email) => {
        const masked = maskEmail(email);
        const at = email.lastIndexOf("@");
        if (at <= 0) {
          expect(masked).toBe("…");
          return;
        }
        const shownLocal = masked.slice(0, masked.lastIndexOf("@"));
        // One character (one UTF-16 unit) of the local part, then the ellipsis.
        expect(shownLocal).toBe(`${email.slice(0, 1)}…`);
        expect(masked.slice(masked.lastIndexOf("@"))).toBe(email.slice(at));
        const local = email.slice(0, at);
        if (local.length > 2) expect(masked.includes(local)).toBe(email.slice(at).includes(local));
      }),
    );
  });
});

// ---------------------------------------------------------------------------

describe("one-click unsubscribe tokens (app/mailing-lists/unsubscribe-token.server.ts)", () => {
  const secrets = ["fuzz-unsubscribe-secret-one", "fuzz-unsubscribe-secret-old"];

  it("a signed token verifies, with the current or any older secret first in the list", () => {
    fc.assert(
      fc.property(lowerUuid, (id) => {
        const token = signUnsubscribeToken(secrets, id);
        expect(token.length).toBeLessThanOrEqual(200);
        expect(verifyUnsubscribeToken(secrets, token)).toBe(id);
        expect(verifyUnsubscribeToken([...secrets].reverse(), token)).toBe(id);
        expect(verifyUnsubscribeToken(["rotated-in-later", ...secrets], token)).toBe(id);
        // Signed by the old secret (before rotation): still verifies while the old secret is listed.
        expect(verifyUnsubscribeToken(secrets, signUnsubscribeToken([secrets[1]!], id))).toBe(id);
      }),
    );
  });

  it("any single changed character, truncation or extension makes it worthless", () => {
    const change = fc.oneof(
      b64urlChar,
      fc.constantFrom(...UNICODE_EDGES.filter((c) => c.length > 0), ".", "=", "+", "/", "A", "a", "0", "f"),
      fc.string({ minLength: 1, maxLength: 1 }),
    );
    fc.assert(
      fc.property(lowerUuid, fc.nat(), change, fc.nat(), fc.oneof(b64urlChar, fc.constantFrom(".", "=", " ", "\n")), (id, i, c, cut, extra) => {
        const token = signUnsubscribeToken(secrets, id);
        const changed = replaceAt(token, i, c);
        if (changed !== token) expect(verifyUnsubscribeToken(secrets, changed)).toBeNull();
        expect(verifyUnsubscribeToken(secrets, token.slice(0, cut % token.length))).toBeNull();
        expect(verifyUnsubscribeToken(secrets, token + extra)).toBeNull();
      }),
    );
  });

  it("names only its own subscription, and only under our secrets", () => {
    fc.assert(
      fc.property(lowerUuid, lowerUuid, fc.string({ minLength: 1, maxLength: 40 }), (id, other, foreignSecret) => {
        fc.pre(id !== other && !secrets.includes(foreignSecret));
        const token = signUnsubscribeToken(secrets, id);
        const [, , signature] = token.split(".");
        expect(verifyUnsubscribeToken(secrets, `v1.${other}.${signature}`)).toBeNull();
        expect(verifyUnsubscribeToken([foreignSecret], token)).toBeNull();
        expect(verifyUnsubscribeToken(secrets, signUnsubscribeToken([foreignSecret], id))).toBeNull();
        expect(verifyUnsubscribeToken([], token)).toBeNull();
        expect(verifyUnsubscribeToken(secrets, token.toUpperCase())).toBeNull();
      }),
    );
  });

  it("arbitrary strings never throw and never verify", () => {
    const shaped = fc
      .tuple(
        fc.constantFrom("v1", "v2", "V1", ""),
        fc.oneof(lowerUuid, anyText(40)),
        fc.oneof(b64urlString(32), b64urlString(31), b64urlString(33), anyText(40)),
      )
      .map(([v, id, sig]) => `${v}.${id}.${sig}`);
    fc.assert(
      fc.property(fc.oneof(anyText(300), shaped), (s) => {
        expect(verifyUnsubscribeToken(secrets, s)).toBeNull();
      }),
    );
  });
});

// ---------------------------------------------------------------------------

describe("new passwords (app/auth/passwords.server.ts newPasswordProblem)", () => {
  const common = (dictionary["passwords-common"] as string[]).filter((p) => p.length >= PASSWORD_MIN && p.length <= PASSWORD_MAX);

  it("never throws, and the length rules hold for any text", () => {
    fc.assert(
      fc.property(
        fc.oneof(anyText(300), fc.string({ minLength: PASSWORD_MAX - 5, maxLength: PASSWORD_MAX + 5 })),
        fc.option(anyText(30), { nil: undefined }),
        (password, username) => {
          const problem = newPasswordProblem(password, { username });
          if (password.length < PASSWORD_MIN) expect(problem).toBe(`Use at least ${PASSWORD_MIN} characters.`);
          else if (password.length > PASSWORD_MAX) expect(problem).toBe(`Use at most ${PASSWORD_MAX} characters.`);
          if (problem === null) {
            expect(password.length).toBeGreaterThanOrEqual(PASSWORD_MIN);
            expect(password.length).toBeLessThanOrEqual(PASSWORD_MAX);
            if (username) expect(password.toLowerCase().includes(username.toLowerCase())).toBe(false);
          }
        },
      ),
    );
  });

  it("refuses common passwords in any case and passwords containing the username", () => {
    expect(common.length).toBeGreaterThan(0);
    fc.assert(
      fc.property(
        fc.constantFrom(...common).chain((p) => fc.mixedCase(fc.constant(p))),
        (p) => {
          expect(newPasswordProblem(p)).toMatch(/most common/);
        },
      ),
    );
    fc.assert(
      fc.property(fc.stringMatching(/^[a-z]{3,12}$/), fc.stringMatching(/^[A-Za-z0-9]{12,30}$/), fc.nat(), (username, filler, at) => {
        const i = at % (filler.length + 1);
        const password = filler.slice(0, i) + username.toUpperCase() + filler.slice(i);
        fc.pre(password.length <= PASSWORD_MAX && !common.includes(password.toLowerCase()));
        expect(newPasswordProblem(password, { username })).toBe("The password must not contain the username.");
      }),
    );
  });
});

// ---------------------------------------------------------------------------

describe("safe redirects (app/auth/safe-redirect.ts)", () => {
  const ORIGIN = "https://app.switchboard.test";
  const tricky = fc.oneof(
    fc.constantFrom(
      "//evil.example",
      "///evil.example",
      "/\\evil.example",
      "/\\/evil.example",
      "\\\\evil.example",
      "\\/evil.example",
      "https://evil.example",
      "http:evil.example",
      "javascript:alert(1)",
      "data:text/html,hi",
      "/%2F/evil.example",
      "/%2f%2fevil.example",
      "/%5C/evil.example",
      "/\t/evil.example",
      "/\n/evil.example",
      "/\r/evil.example",
      "/ /evil.example",
      " //evil.example",
      "/\u0000/evil.example",
      "/\u3000/evil.example",
      "/.//evil.example",
      "/..//evil.example",
      "/@evil.example",
      "/evil.example:443@x",
      "//@evil.example",
      "/\u2215\u2215evil.example",
      "/\uFF0F\uFF0Fevil.example",
    ),
    fc.tuple(fc.constantFrom("/", "//", "/\\", "\\", "", "http://", "/\t", "/%2F"), anyText(30)).map(([p, s]) => p + s),
    fc.tuple(fc.constantFrom(...BAD_PERCENT), anyText(10)).map(([p, s]) => `/${p}${s}`),
    anyText(60),
  );

  it("never returns an off-site URL, for any input", () => {
    fc.assert(
      fc.property(fc.oneof(tricky, fc.constant(null), fc.constant(undefined)), (to) => {
        const out = safeRedirect(to, "/fallback");
        // Itself, or percent-encoded where it is not printable ASCII (a Location header carries Latin-1 only).
        expect(out === "/fallback" || out === to || (typeof to === "string" && out === encodeURI(to))).toBe(true);
        expect(out.startsWith("/") && !out.startsWith("//") && !out.startsWith("/\\")).toBe(true);
        // As a browser resolves it against the page: same origin, always.
        expect(new URL(out, `${ORIGIN}/some/page`).origin).toBe(ORIGIN);
      }),
    );
  });

  it("keeps ordinary same-site paths as they are", () => {
    fc.assert(
      fc.property(fc.webPath(), fc.webQueryParameters(), (p, q) => {
        const path = `/${p.replace(/^\/+/, "")}${q ? `?${q}` : ""}`;
        fc.pre(!path.startsWith("//"));
        expect(safeRedirect(path)).toBe(path);
      }),
    );
  });

  // Its callers hand the result straight to redirect() (the Location header), so it must be a value a header can carry.
  it("returns something a Location header can carry (callers pass it to redirect())", () => {
    fc.assert(
      fc.property(tricky, (to) => {
        const out = safeRedirect(to, "/");
        expect(() => new Headers({ Location: out })).not.toThrow();
      }),
    );
  });
});

// ---------------------------------------------------------------------------

describe("the audit query (app/models/audit-search.server.ts)", () => {
  const FIELDS = ["actor_type", "actor_id", "action", "target_type", "target_id", "from", "to", "before"] as const;
  const dateText = fc.oneof(
    fc.date({ min: new Date("1000-01-01T00:00:00Z"), max: new Date("9999-12-31T23:59:59Z"), noInvalidDate: true }).map((d) => d.toISOString()),
    fc.stringMatching(/^\d{4}-\d{2}-\d{2}([T ]\d{2}:\d{2}(:\d{2}(\.\d{1,6})?)?)?(Z|[+-]\d{2}:?\d{2})?$/),
    anyText(40),
  );
  const valueFor: Record<(typeof FIELDS)[number], fc.Arbitrary<string>> = {
    actor_type: fc.oneof(fc.constantFrom("user", "staff", "system", "workflow", "anonymous", "api_key", "USER", " staff "), anyText(20)),
    actor_id: fc.oneof(lowerUuid, anyText(250)),
    action: fc.oneof(fc.constantFrom("*", "account.*", "auth.sign_in", "a*b", "**", "%", "_", "\\*"), anyText(120)),
    target_type: anyText(60),
    target_id: fc.oneof(lowerUuid, anyText(250)),
    from: dateText,
    to: dateText,
    before: fc.oneof(fc.stringMatching(/^\d{1,19}$/), fc.constantFrom(...NUMBERS), anyText(25)),
  };
  const params = fc
    .array(
      fc.oneof(
        { weight: 5, arbitrary: fc.constantFrom(...FIELDS).chain((k) => fc.tuple(fc.constant(k as string), valueFor[k])) },
        { weight: 1, arbitrary: fc.tuple(anyText(10), anyText(20)) },
      ),
      {
        maxLength: 10,
      },
    )
    .map((pairs) => new URLSearchParams(pairs));

  it("parseAuditQuery never throws; a refusal names a field and says why", () => {
    fc.assert(
      fc.property(params, (p) => {
        const parsed = parseAuditQuery(p);
        if (!parsed.ok) {
          expect(typeof parsed.field).toBe("string");
          expect(parsed.message.length).toBeGreaterThan(0);
          return;
        }
        const f = parsed.filter;
        if (f.from) expect(Number.isNaN(f.from.getTime())).toBe(false);
        if (f.to) expect(Number.isNaN(f.to.getTime())).toBe(false);
        if (f.from && f.to) expect(f.from < f.to).toBe(true);
        if (parsed.before !== undefined) expect(parsed.before).toMatch(/^\d+$/);
        // "*" only at the end (a prefix), so no pattern reaches LIKE unescaped.
        if (f.action?.includes("*")) expect(f.action.indexOf("*")).toBe(f.action.length - 1);
      }),
    );
  });

  it("a filter survives the round trip through its own links (auditFilterParams)", () => {
    fc.assert(
      fc.property(params, (p) => {
        const parsed = parseAuditQuery(p);
        fc.pre(parsed.ok);
        if (!parsed.ok) return;
        const again = parseAuditQuery(auditFilterParams(parsed.filter));
        expect(again.ok).toBe(true);
        if (again.ok) expect(again.filter).toEqual(parsed.filter);
      }),
    );
  });

  it("parseUtc never throws and returns a real instant or null", () => {
    fc.assert(
      fc.property(dateText, (s) => {
        const d = parseUtc(s);
        if (d !== null) expect(Number.isNaN(d.getTime())).toBe(false);
      }),
    );
  });

  it("parseUtc reads ISO instants exactly, and refuses dates the calendar does not have", () => {
    fc.assert(
      fc.property(fc.date({ min: new Date("1000-01-01T00:00:00Z"), max: new Date("9999-12-31T23:59:59.999Z"), noInvalidDate: true }), (d) => {
        expect(parseUtc(d.toISOString())?.getTime()).toBe(d.getTime());
        expect(parseUtc(d.toISOString().replace("T", " ").replace("Z", "+00:00"))?.getTime()).toBe(d.getTime());
      }),
    );
    fc.assert(
      fc.property(fc.integer({ min: 1000, max: 9999 }), fc.integer({ min: 1, max: 12 }), fc.integer({ min: 1, max: 31 }), (y, m, d) => {
        const text = `${y}-${String(m).padStart(2, "0")}-${String(d).padStart(2, "0")}`;
        const exists = new Date(Date.UTC(y, m - 1, d)).getUTCDate() === d;
        expect(parseUtc(text) !== null).toBe(exists);
      }),
    );
    for (const bad of ["2026-13-01", "2026-00-10", "2026-02-30", "2026-04-31", "2026-01-01T24:00", "2026-01-01T23:60", "2026-01-01T23:59:60", "0000-01-01"]) {
      expect(parseUtc(bad), bad).toBeNull();
    }
  });
});

// ---------------------------------------------------------------------------

describe("the workflow filter (app/temporal/history.server.ts WorkflowFilter)", () => {
  const KEYS = ["type", "status", "from", "to", "account", "ticket", "page"] as const;
  const dateLike = fc.oneof(
    fc.stringMatching(/^\d{4}-\d{2}-\d{2}(T\d{2}:\d{2})?$/),
    fc.date({ min: new Date("1970-01-01T00:00:00Z"), max: new Date("2100-01-01T00:00:00Z"), noInvalidDate: true }).map((d) => d.toISOString().slice(0, 16)),
    anyText(30),
  );
  const valueFor: Record<(typeof KEYS)[number], fc.Arbitrary<unknown>> = {
    type: fc.oneof(fc.constantFrom(...WORKFLOW_TYPES, "BlockAccount", "' OR 1=1"), anyText(30)),
    status: fc.oneof(fc.constantFrom(...WORKFLOW_STATUSES, "running"), anyText(30)),
    from: dateLike,
    to: dateLike,
    account: fc.oneof(
      lowerUuid,
      fc.uuid().map((u) => ` ${u.toUpperCase()} `),
      anyText(40),
      lowerUuid.map((u) => `${u}' OR WorkflowId != '`),
    ),
    ticket: fc.oneof(lowerUuid, anyText(40)),
    page: fc.oneof(fc.stringMatching(/^[A-Za-z0-9_-]{1,64}$/), fc.constant("A".repeat(4096)), fc.constant("A".repeat(4097)), anyText(60)),
  };
  const raw = fc.oneof(
    fc.record(Object.fromEntries(KEYS.map((k) => [k, fc.option(valueFor[k], { nil: undefined })])) as Record<string, fc.Arbitrary<unknown>>),
    fc.dictionary(anyText(10), fc.anything()),
    fc.anything(),
  );

  it("never throws; what it accepts is bounded and can only put validated values in the visibility query", () => {
    fc.assert(
      fc.property(raw, (input) => {
        const parsed = WorkflowFilter.safeParse(input);
        if (!parsed.success) return;
        const f = parsed.data;
        if (f.page !== undefined) expect(f.page).toMatch(/^[A-Za-z0-9_-]{1,4096}$/);
        if (f.account !== undefined) expect(isUuid(f.account)).toBe(true);
        if (f.ticket !== undefined) expect(isUuid(f.ticket)).toBe(true);
        for (const d of [f.from, f.to]) if (d !== undefined) expect(Number.isNaN(d.getTime())).toBe(false);
        const query = visibilityQuery(f);
        // Every quoted value is one of ours: names, ISO times, UUIDs and workflow ids made of them.
        for (const m of query.matchAll(/'([^']*)'/g)) expect(m[1]).toMatch(/^[A-Za-z0-9:.-]*$/);
        expect(query.split("'").length % 2).toBe(1);
      }),
    );
  });

  // The refine says "That date does not exist."; the calendar check of parseUtc is the model.
  it("refuses dates the calendar does not have instead of moving them to another day", () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 2000, max: 2100 }),
        fc.integer({ min: 1, max: 12 }),
        fc.integer({ min: 1, max: 31 }),
        fc.constantFrom("from", "to"),
        (y, m, d, field) => {
          const text = `${y}-${String(m).padStart(2, "0")}-${String(d).padStart(2, "0")}`;
          const parsed = WorkflowFilter.safeParse({ [field]: text });
          if (parsed.success) {
            const at = parsed.data[field as "from" | "to"]!;
            expect(at.toISOString().slice(0, 10), `${field}=${text} was read as ${at.toISOString()}`).toBe(text);
          }
        },
      ),
      {
        examples: [
          [2025, 2, 29, "from"],
          [2024, 2, 30, "to"],
          [2025, 4, 31, "from"],
        ],
      },
    );
  });
});

// ---------------------------------------------------------------------------

describe("invitation and transfer-confirmation tokens", () => {
  it("INVITATION_TOKEN accepts exactly 43 base64url characters (what randomBytes(32) makes)", () => {
    const ORACLE = /^[A-Za-z0-9_-]{43}$/;
    fc.assert(
      fc.property(
        fc.oneof(
          b64urlString(43),
          b64urlString(42),
          b64urlString(44),
          b64urlString(43).map((t) => `${t}\n`),
          b64urlString(43).map((t) => `${t}=`),
          anyText(60),
        ),
        (t) => {
          expect(INVITATION_TOKEN.test(t)).toBe(ORACLE.test(t));
        },
      ),
    );
  });
});

// ---------------------------------------------------------------------------
// Parsers whose promise is about the query behind them: they need PostgreSQL.

describe("parsers in front of PostgreSQL", () => {
  let fresh: FreshDatabase;
  beforeAll(async () => {
    fresh = await freshDatabase();
  });
  afterAll(async () => {
    await fresh?.destroy();
  });

  it("isUuid admits only what PostgreSQL reads as a uuid, so getAccount never reaches its error", async () => {
    const candidates = fc.oneof(
      fc.uuid(),
      fc.uuid().map((u) => u.toUpperCase()),
      anyText(40),
      fc.stringMatching(/^[0-9a-fA-F-]{30,40}$/),
    );
    await fc.assert(
      fc.asyncProperty(candidates, async (s) => {
        await expect(getAccount(fresh.db, s)).resolves.toBeUndefined();
        if (isUuid(s)) await expect(sql`SELECT ${s}::uuid AS u`.execute(fresh.db)).resolves.toBeTruthy();
      }),
      { numRuns: DB_RUNS },
    );
  });

  it("findInvitation and findConfirmation answer 'not found' for any malformed token, without an error", async () => {
    await fc.assert(
      fc.asyncProperty(fc.oneof(anyText(80), b64urlString(43)), async (token) => {
        expect(await findInvitation(fresh.db, token)).toEqual({ state: "not_found" });
        expect(await findConfirmation(fresh.db, token)).toEqual({ ok: false, reason: "unknown" });
      }),
      { numRuns: DB_RUNS },
    );
  });

  it("a confirmation token finds its ticket; any changed character finds nothing", async () => {
    const oldAccount = await accountWithKey(fresh.db);
    const newAccount = await accountWithKey(fresh.db);
    const ticketId = await createWebTransferTicket(
      fresh.db,
      { requesterUserId: oldAccount.userId, oldAccountId: oldAccount.accountId, newAddress: "new@example.com" },
      { type: "system", id: null },
    );
    await fresh.db
      .updateTable("support_tickets")
      .set({ status: "awaiting_confirmation", new_account_id: newAccount.accountId })
      .where("id", "=", ticketId)
      .execute();
    const token = await issueConfirmToken(fresh.db, ticketId, new Date(Date.now() + 3600_000));
    expect(token).toMatch(INVITATION_TOKEN);
    expect(await findConfirmation(fresh.db, token)).toEqual({ ok: true, ticketId, newAccountId: newAccount.accountId });
    await fc.assert(
      fc.asyncProperty(fc.nat(), b64urlChar, async (i, c) => {
        const changed = replaceAt(token, i, c);
        expect(await findConfirmation(fresh.db, changed)).toEqual({ ok: false, reason: "unknown" });
      }),
      { numRuns: DB_RUNS },
    );
  });

  // The page's promise: "Ids are bigserial: digits only, which is all a page link ever carries."
  it("every `before` cursor parseAuditQuery accepts can be queried (searchAudit does not fail)", async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.oneof(
          fc.stringMatching(/^\d{1,19}$/),
          fc.constantFrom("9223372036854775807", "9223372036854775808", "9999999999999999999", "0", "0000000000000000001"),
        ),
        async (before) => {
          const parsed = parseAuditQuery(new URLSearchParams({ before }));
          if (!parsed.ok) return;
          await expect(
            searchAudit(fresh.db, parsed.filter, parsed.before).then(() => "ok"),
            `before=${before}`,
          ).resolves.toBe("ok");
        },
      ),
      { numRuns: DB_RUNS },
    );
  });

  it("every text filter parseAuditQuery accepts can be queried (searchAudit does not fail)", async () => {
    const field = fc.constantFrom("actor_id", "action", "target_type", "target_id");
    await fc.assert(
      fc.asyncProperty(field, fc.oneof(anyText(60), fc.constantFrom("\u0000", "a\u0000b", "\uD800", "%", "\\")), async (name, value) => {
        const parsed = parseAuditQuery(new URLSearchParams({ [name]: value }));
        if (!parsed.ok) return;
        await expect(
          searchAudit(fresh.db, parsed.filter, parsed.before).then(() => "ok"),
          `${name}=${JSON.stringify(value)}`,
        ).resolves.toBe("ok");
      }),
      { numRuns: DB_RUNS },
    );
  });

  it("every date range parseAuditQuery accepts can be queried", async () => {
    const when = fc.stringMatching(/^\d{4}-\d{2}-\d{2}([T ]\d{2}:\d{2}(:\d{2}(\.\d{1,6})?)?)?(Z|[+-]\d{2}:?\d{2})?$/);
    await fc.assert(
      fc.asyncProperty(fc.option(when, { nil: undefined }), fc.option(when, { nil: undefined }), async (from, to) => {
        const p = new URLSearchParams();
        if (from !== undefined) p.set("from", from);
        if (to !== undefined) p.set("to", to);
        const parsed = parseAuditQuery(p);
        if (!parsed.ok) return;
        await expect(
          searchAudit(fresh.db, parsed.filter).then(() => "ok"),
          p.toString(),
        ).resolves.toBe("ok");
      }),
      { numRuns: DB_RUNS },
    );
  });

  it("audit keyset paging (nextBefore, auditBatches) returns every matching row once, newest first", async () => {
    let run = 0;
    await fc.assert(
      fc.asyncProperty(fc.integer({ min: 0, max: 2 * AUDIT_PAGE_SIZE + 3 }), fc.integer({ min: 1, max: 40 }), async (n, batchSize) => {
        const prefix = `fuzz.paging.${run++}.`;
        for (let i = 0; i < n; i++) await writeAudit(fresh.db, { type: "system", id: null }, { action: `${prefix}${i % 3}` });
        const filter = { action: `${prefix}*` };
        const seen: string[] = [];
        let before: string | undefined;
        for (let pages = 0; pages < 10; pages++) {
          const page = await searchAudit(fresh.db, filter, before);
          seen.push(...page.rows.map((r) => r.id));
          if (page.nextBefore === null) break;
          before = page.nextBefore;
        }
        expect(seen).toHaveLength(n);
        expect(new Set(seen).size).toBe(n);
        expect([...seen].sort((a, b) => (BigInt(b) > BigInt(a) ? 1 : -1))).toEqual(seen);
        const batched: string[] = [];
        for await (const batch of auditBatches(fresh.db, filter, batchSize)) batched.push(...batch.map((r) => r.id));
        expect(batched).toEqual(seen);
      }),
      { numRuns: Math.min(DB_RUNS, 20) },
    );
  });

  // "The cursor keeps PostgreSQL's microseconds (a JS Date would cut them and skip rows)."
  it("outbox keyset paging returns every mail once, in order, even with equal and microsecond-apart times", async () => {
    let run = 0;
    await fc.assert(
      fc.asyncProperty(fc.array(fc.integer({ min: 0, max: 5 }), { minLength: 0, maxLength: 2 * OUTBOX_PAGE_SIZE + 5 }), async (offsets) => {
        await sql`DELETE FROM mail_outbox`.execute(fresh.db);
        run++;
        const base = Date.UTC(2026, 10, 27, 8, 30, 0);
        for (const [i, us] of offsets.entries()) {
          // Microsecond offsets: 0..5 µs apart, many equal, some within the same millisecond.
          const at = `${new Date(base).toISOString().slice(0, 19)}.00000${us}+00`;
          await sql`INSERT INTO mail_outbox (dedupe_key, kind, to_address, subject, text_body, status, created_at)
                    VALUES (${`fuzz:${run}:${i}`}, 'fuzz', 'a@example.com', 's', 't', 'kept', ${at}::timestamptz)`.execute(fresh.db);
        }
        const expected = (await sql<{ id: string }>`SELECT id FROM mail_outbox ORDER BY created_at DESC, id DESC`.execute(fresh.db)).rows.map((r) => r.id);
        const seen: string[] = [];
        let before: { createdAt: string; id: string } | undefined;
        for (let pages = 0; pages < 10; pages++) {
          const page = await listOutbox(fresh.db, before);
          seen.push(...page.rows.map((r) => r.id));
          if (!page.next) break;
          // What the page puts in its "Older" link and the route reads back: the text cursor must match the route's pattern.
          expect(page.next.createdAt).toMatch(/^\d{4}-\d{2}-\d{2}[ T]\d{2}:\d{2}:\d{2}(\.\d{1,6})?([+-]\d{2}(:?\d{2})?|Z)$/);
          before = page.next;
        }
        expect(seen).toEqual(expected);
      }),
      { numRuns: Math.min(DB_RUNS, 15) },
    );
  });

  it("ledger keyset paging (listLedger, newerLedgerCursor) walks back and forth over every entry once", async () => {
    const a = await accountWithKey(fresh.db, { balanceCents: 10_000_000n });
    const n = 61;
    for (let i = 0; i < n; i++) {
      await postLedgerEntry(fresh.db, {
        accountId: a.accountId,
        amountCents: -1n,
        kind: "usage",
        idempotencyKey: `fuzz:${i}`,
        actor: { type: "system", id: null },
      });
    }
    const all: string[] = [];
    const cursors: (string | undefined)[] = [undefined];
    let before: string | undefined;
    for (;;) {
      const page = await listLedger(fresh.db, a.accountId, before);
      all.push(...page.rows.map((r) => r.id));
      if (!page.nextBefore) break;
      before = page.nextBefore;
      cursors.push(before);
    }
    expect(all).toHaveLength(n + 1);
    expect(new Set(all).size).toBe(n + 1);
    // From every page, "newer" leads back to the page before it.
    for (let i = 1; i < cursors.length; i++) {
      const newer = await newerLedgerCursor(fresh.db, a.accountId, cursors[i]!);
      const back = await listLedger(fresh.db, a.accountId, newer ?? undefined);
      const previous = await listLedger(fresh.db, a.accountId, cursors[i - 1]);
      expect(back.rows.map((r) => r.id)).toEqual(previous.rows.map((r) => r.id));
    }
  });
});
