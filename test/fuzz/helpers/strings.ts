/**
 * Hostile text for the generators: the unicode and parser edge cases that
 * break naive code (NUL, lone surrogates, RTL overrides, zero-width and
 * non-breaking spaces, combining marks, emoji sequences, case-mapping oddities,
 * look-alike digits), injection-shaped strings, numbers at the edges, and long
 * runs. Overlong and invalid UTF-8 cannot live in a JS string: see BAD_UTF8.
 */
import fc from "fast-check";

export const UNICODE_EDGES: readonly string[] = [
  "",
  " ",
  "\u0000",
  "a\u0000b",
  "\uD800", // lone high surrogate
  "\uDFFF", // lone low surrogate
  "x\uDBFFy",
  "\u202Eevil\u202C", // right-to-left override
  "\u05E9\u05DC\u05D5\u05DD", // Hebrew (RTL)
  "\u0645\u0631\u062D\u0628\u0627", // Arabic (RTL)
  "\u200B", // zero-width space
  "a\u200Db", // zero-width joiner
  "\uFEFF", // byte-order mark
  "\u00A0", // no-break space
  "\u2028\u2029", // line/paragraph separators
  "\u3000", // ideographic space
  "e\u0301", // combining acute
  "Z\u0351\u0352\u0353\u0354\u0355\u0356\u0357\u0358", // stacked combining marks
  "\u{1F469}\u200D\u{1F469}\u200D\u{1F467}\u200D\u{1F466}", // family emoji (ZWJ sequence)
  "\u{1F4A9}",
  "\u{10FFFF}",
  "\uFFFD",
  "\uFFFE",
  "\u0130", // İ: lower-cases to two code points
  "\u00DF", // ß: upper-cases to SS
  "\uFB01", // ﬁ ligature
  "\u212A", // Kelvin sign: lower-cases to k
  "\uFF21\uFF22\uFF23", // fullwidth ABC
  "\u0661\u0662\u0663", // Arabic-Indic digits
  "\uFF11\uFF12", // fullwidth digits
  "\r\n",
  "\t",
  "\u001B[31m", // ANSI escape
  "\u0085", // next line (C1)
  "\u007F",
];

export const INJECTIONS: readonly string[] = [
  "' OR 1=1 --",
  "'; DROP TABLE users; --",
  '"',
  "\\",
  "%",
  "_",
  "*",
  "%_\\",
  "${7*7}",
  "{{7*7}}",
  "<script>alert(1)</script>",
  '"><img src=x onerror=alert(1)>',
  "javascript:alert(1)",
  "../../../../etc/passwd",
  "..\\..\\windows",
  "=cmd|' /C calc'!A0",
  "@SUM(1+1)",
  "null",
  "undefined",
  "true",
  "[]",
  "{}",
  "__proto__",
  "constructor",
  "prototype",
  "toString",
  "hasOwnProperty",
];

export const NUMBERS: readonly string[] = [
  "0",
  "-0",
  "-1",
  "1",
  "00001",
  "1.5",
  "1e3",
  "1e309",
  "-1e309",
  "NaN",
  "Infinity",
  "-Infinity",
  "0x10",
  "0b1",
  "9007199254740993",
  "9223372036854775807",
  "9223372036854775808",
  "9999999999999999999",
  "18446744073709551616",
  "99999999999999999999999999999",
  "-9223372036854775809",
  "2147483648",
  "1,000",
  "1 000",
  "$5",
  "-$5",
  "$-5",
  "5.",
  ".5",
  "5.555",
  "999999999999.99",
  "1000000000000",
];

/** Byte sequences that are not UTF-8 (overlong "/", an encoded surrogate, stray continuation, 0xFF). */
export const BAD_UTF8: readonly Buffer[] = [
  Buffer.from([0xc0, 0xaf]),
  Buffer.from([0xe0, 0x80, 0xaf]),
  Buffer.from([0xed, 0xa0, 0x80]),
  Buffer.from([0x80]),
  Buffer.from([0xff, 0xfe]),
  Buffer.from([0xf4, 0x90, 0x80, 0x80]),
];

/** Percent-encodings that decode to nothing sensible. */
export const BAD_PERCENT: readonly string[] = [
  "%",
  "%z",
  "%zz",
  "%%",
  "%00",
  "%C0%AF",
  "%ED%A0%80",
  "%FF",
  "%2F",
  "%5C",
  "%2e%2e",
  "%252F",
  "%0d%0a",
  "%u0041",
];

/** Any of the above, or generated unicode of a few shapes, sometimes repeated into a long run. */
export function nastyString(options: { maxLength?: number } = {}): fc.Arbitrary<string> {
  const maxLength = options.maxLength ?? 64;
  const base = fc.oneof(
    { weight: 4, arbitrary: fc.constantFrom(...UNICODE_EDGES) },
    { weight: 3, arbitrary: fc.constantFrom(...INJECTIONS) },
    { weight: 3, arbitrary: fc.constantFrom(...NUMBERS) },
    { weight: 3, arbitrary: fc.string({ maxLength }) },
    { weight: 3, arbitrary: fc.string({ unit: "binary", maxLength }) },
    { weight: 2, arbitrary: fc.string({ unit: "grapheme", maxLength: Math.min(maxLength, 16) }) },
    { weight: 1, arbitrary: fc.string({ unit: fc.constantFrom(...UNICODE_EDGES.filter((s) => s.length > 0)), maxLength: 8 }) },
  );
  return fc.oneof(
    { weight: 12, arbitrary: base },
    { weight: 2, arbitrary: fc.tuple(base, base, base).map(([a, b, c]) => a + b + c) },
    { weight: 1, arbitrary: fc.tuple(base, fc.integer({ min: 50, max: 3000 })).map(([s, n]) => (s || "A").repeat(Math.ceil(n / Math.max(1, s.length)))) },
  );
}

/** Every string arbitrary worth throwing at a parser that takes a string. */
export const anyText = (maxLength = 64) => nastyString({ maxLength });
