import { describe, expect, it } from "vitest";
import { linkableLeakUrl } from "./leak-url.js";
import { MAX_MATCHES, parseScanReport } from "./report.server.js";

const match = { token: "tgp_v1_x", type: "switchboard_api_key", url: "https://github.com/o/r/blob/1/a.env", source: "content" };

describe("a secret scanning report", () => {
  it("is a JSON array of {token, type, url, source}; unknown fields are dropped; the url is kept as reported", () => {
    expect(parseScanReport(JSON.stringify([{ ...match, extra: 1 }]))).toEqual({ ok: true, matches: [match] });
    expect(parseScanReport('[{"token":"some_token","type":"some_type","url":"some_url","source":"some_source"}]')).toEqual({
      ok: true,
      matches: [{ token: "some_token", type: "some_type", url: "some_url", source: "some_source" }],
    });
    expect(parseScanReport(JSON.stringify([{ ...match, url: "" }])).ok).toBe(true);
    expect(parseScanReport("[]")).toEqual({ ok: true, matches: [] });
  });

  it.each([
    ["not JSON", "{", /not JSON/],
    ["not an array", JSON.stringify(match), /must be a JSON array/],
    ["a match without a field", JSON.stringify([{ token: "t", type: "x", url: "u" }]), /match 0\.source/],
    ["a field of the wrong type", JSON.stringify([{ ...match, token: 42 }]), /match 0\.token/],
    ["a match that is not an object", JSON.stringify(["tgp_v1_x"]), /match 0/],
    ["NUL in a token", JSON.stringify([{ ...match, token: "tgp\u0000" }]), /0\.token must not contain the NUL character/],
    ["a lone surrogate in the url", '[{"token":"t","type":"x","url":"\\ud800","source":"s"}]', /0\.url must be well-formed Unicode/],
    ["NUL in a key", '[{"token":"t","type":"x","url":"u","source":"s","\\u0000":1}]', /NUL/],
    ["too many matches", JSON.stringify(Array.from({ length: MAX_MATCHES + 1 }, () => match)), /the report/],
    ["a token longer than any key could be", JSON.stringify([{ ...match, token: "t".repeat(1001) }]), /match 0\.token/],
  ])("%s is refused with a message", (_what, body, message) => {
    const parsed = parseScanReport(body);
    expect(parsed.ok).toBe(false);
    if (!parsed.ok) expect(parsed.message).toMatch(message);
  });
});

describe("where a key was found, as a link", () => {
  it.each([
    ["https://github.com/octocat/Hello-World/blob/1/foo/bar.txt", "https://github.com/octocat/Hello-World/blob/1/foo/bar.txt"],
    ["http://example.com/x", "http://example.com/x"],
    ["some_url", null],
    ["", null],
    ["javascript:alert(1)", null],
    ["data:text/html,<script>alert(1)</script>", null],
    ["https://user:pass@example.com/", null],
    [`https://example.com/${"a".repeat(2000)}`, null],
  ])("%j → %j", (reported, link) => {
    expect(linkableLeakUrl(reported)).toBe(link);
  });
});
