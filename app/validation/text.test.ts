import { describe, expect, it } from "vitest";
import fc from "fast-check";
import { z } from "zod";
import {
  decodeUtf8,
  faultPath,
  findFormFault,
  findTextFault,
  findUrlEncodedFault,
  isStorableText,
  storableText,
  textProblem,
  toStorableDisplayText,
} from "./text.js";

const enc = (s: string) => new TextEncoder().encode(s);

describe("textProblem / isStorableText", () => {
  it.each([
    ["", null],
    ["plain", null],
    ["\uFFFD", null], // a real replacement character is a character like any other
    ["e\u0301 \u{1F469}\u200D\u{1F467} \u202E", null], // combining marks, pairs, bidi controls: well-formed
    ["\uD83D\uDE00", null], // a proper pair
    ["a\u0000b", "nul"],
    ["\u0000", "nul"],
    ["k1-\uD800", "unpaired_surrogate"],
    ["\uDC00x", "unpaired_surrogate"],
    ["\uDE00\uD83D", "unpaired_surrogate"], // a pair in the wrong order
  ])("%j → %s", (s, problem) => {
    expect(textProblem(s)).toBe(problem);
    expect(isStorableText(s)).toBe(problem === null);
  });

  it("agrees with a UTF-8 round trip: storable exactly when encoding loses nothing and there is no NUL", () => {
    fc.assert(
      fc.property(fc.string({ unit: "binary" }), fc.string({ unit: fc.constantFrom("\uD800", "\uDFFF", "\u0000", "a") }), (a, b) => {
        for (const s of [a, b, a + b]) {
          const roundTrips = new TextDecoder().decode(enc(s)) === s;
          expect(isStorableText(s)).toBe(roundTrips && !s.includes("\u0000"));
        }
      }),
    );
  });
});

describe("storableText (the zod refinement)", () => {
  it("names the label, says which problem, and lets good text through", () => {
    const schema = z.object({ q: z.string().max(10).superRefine(storableText("Search")) });
    expect(schema.safeParse({ q: "ok" }).success).toBe(true);
    const nul = schema.safeParse({ q: "a\u0000" });
    expect(nul.success).toBe(false);
    expect(nul.error!.issues[0]).toMatchObject({ path: ["q"], message: "Search: must not contain the NUL character (U+0000)." });
    const lone = schema.safeParse({ q: "a\uD800" });
    expect(lone.error!.issues[0].message).toMatch(/^Search: must be well-formed Unicode/);
  });

  it("without a label, is the bare reason (for callers that put the field in front)", () => {
    const r = z.string().superRefine(storableText()).safeParse("\uDFFF");
    expect(r.error!.issues[0].message).toMatch(/^must be well-formed Unicode/);
  });
});

describe("findTextFault (every string of a parsed JSON value)", () => {
  it("finds the first bad string, values and keys, with its path", () => {
    expect(findTextFault({ a: 1, b: [true, null, "ok"], c: { d: "fine" } })).toBeNull();
    expect(findTextFault("x\u0000")).toEqual({ path: [], problem: "nul" });
    expect(faultPath({ path: [] })).toBe("body");
    const deep = findTextFault({ a: "ok", items: [{ name: "ok" }, { name: "b\uD800" }] });
    expect(deep).toEqual({ path: ["items", 1, "name"], problem: "unpaired_surrogate" });
    expect(faultPath(deep!)).toBe("items.1.name");
    expect(findTextFault({ ok: { "k\u0000": 1 } })).toEqual({ path: ["ok", "k\u0000"], problem: "nul" });
  });

  it("reports in document order", () => {
    expect(findTextFault(JSON.parse('{"a":"\\u0000","b":"\\ud800"}'))!.path).toEqual(["a"]);
    expect(findTextFault(JSON.parse('["ok",["\\udc00"],"\\u0000"]'))!.path).toEqual([1, 0]);
  });

  it("does not overflow the stack on a deeply nested body", () => {
    const deep = JSON.parse(`${"[".repeat(100_000)}"\\u0000"${"]".repeat(100_000)}`);
    expect(findTextFault(deep)!.path).toHaveLength(100_000);
  });
});

describe("findFormFault", () => {
  it("names the field whose value or name cannot be stored; files are not text", () => {
    const form = new FormData();
    form.append("csrf", "t");
    form.append("file", new Blob(["\u0000"]), "f.bin");
    expect(findFormFault(form)).toBeNull();
    // FormData holds USVStrings (a lone surrogate is already U+FFFD in it): NUL is what can reach here.
    form.append("name", "a\u0000");
    expect(findFormFault(form)).toEqual({ path: ["name"], problem: "nul" });
    const named = new FormData();
    named.append("x\u0000y", "v");
    expect(findFormFault(named)).toEqual({ path: ["xy"], problem: "nul" });
  });
});

describe("findUrlEncodedFault / decodeUtf8", () => {
  it("finds percent-encoded bytes that are not UTF-8, naming the field", () => {
    expect(findUrlEncodedFault(enc("a=1&b=%C3%A9&c=%EF%BF%BD&d=+&&e"))).toBeNull();
    expect(findUrlEncodedFault(enc(""))).toBeNull();
    expect(findUrlEncodedFault(enc("csrf=x&name=k1-%ED%A0%80"))).toEqual({ path: ["name"], problem: "invalid_utf8" });
    expect(findUrlEncodedFault(enc("csrf=x&na%6De=%FF"))).toEqual({ path: ["name"], problem: "invalid_utf8" });
    expect(findUrlEncodedFault(enc("%FF=1"))!.problem).toBe("invalid_utf8");
    // A stray % is literal, as in the WHATWG parser.
    expect(findUrlEncodedFault(enc("a=100%&b=%zz&c=%4"))).toBeNull();
  });

  it("accepts exactly what the WHATWG parser decodes without replacement", () => {
    fc.assert(
      fc.property(
        fc.array(fc.oneof(fc.constantFrom("%ED%A0%80", "%FF", "%C3", "%C3%A9", "%25", "+", "=", "&", "%00"), fc.string({ maxLength: 3 })), { maxLength: 8 }),
        (parts) => {
          const body = parts.join("");
          const lossless = [...new URLSearchParams(body)].every(([k, v]) => !`${k}${v}`.includes("\uFFFD"));
          expect(findUrlEncodedFault(enc(body)) === null).toBe(lossless);
        },
      ),
    );
  });

  it("decodeUtf8 refuses bytes that are not UTF-8 instead of replacing them", () => {
    expect(decodeUtf8(enc('{"k":"é"}'))).toBe('{"k":"é"}');
    expect(decodeUtf8(new Uint8Array([0x6b, 0xed, 0xa0, 0x80]))).toBeNull();
    expect(decodeUtf8(new Uint8Array([0xff]))).toBeNull();
    expect(decodeUtf8(new Uint8Array([0xef, 0xbb, 0xbf, 0x61]))).toBe("\uFEFFa"); // a BOM is kept, so JSON.parse refuses it plainly
  });
});

describe("toStorableDisplayText", () => {
  it("drops NUL and replaces lone surrogates; leaves good text alone", () => {
    expect(toStorableDisplayText("Ada\u0000 Love\uD800lace")).toBe("Ada Love\uFFFDlace");
    expect(toStorableDisplayText("Zoë 👩‍👧")).toBe("Zoë 👩‍👧");
    fc.assert(
      fc.property(fc.string({ unit: "binary" }), (s) => {
        expect(isStorableText(toStorableDisplayText(s))).toBe(true);
      }),
    );
  });
});
