/** Link tokens masked for staff (issue 14, finding 10): the one masking function and when the console may skip it. */
import { readdirSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import { MASK, TOKEN_LINK_PATHS, mailLinksShownInFull, maskLinkTokens } from "./link-tokens.js";

const TOKEN = "AbCdEfGhIjKlMnOpQrStUvWxYz0123456789_-wxyz"; // 43 url-safe characters, as the app makes them

describe("maskLinkTokens", () => {
  it("V14.2.6 masks the token of every invitation, transfer-confirmation and unsubscribe link, keeping its last four characters", () => {
    const text = [
      `Accept: https://switchboard.test/invitations/${TOKEN}`,
      `Confirm: https://switchboard.test/confirm-transfer/${TOKEN}`,
      "Unsubscribe: https://switchboard.test/unsubscribe/v1.6f1c0000-0000-4000-8000-000000000000.k9Vd3mQp0rStUvWxYz0123456789AbCd",
    ].join("\n");
    const masked = maskLinkTokens(text);
    expect(masked).toBe(
      [
        `Accept: https://switchboard.test/invitations/${MASK}wxyz`,
        `Confirm: https://switchboard.test/confirm-transfer/${MASK}wxyz`,
        `Unsubscribe: https://switchboard.test/unsubscribe/${MASK}AbCd`,
      ].join("\n"),
    );
    expect(masked).not.toContain(TOKEN.slice(0, 39));
    expect(masked).not.toContain("6f1c0000"); // the subscription id inside an unsubscribe token goes too
  });

  it("V14.2.6 masks a token inside <…> (List-Unsubscribe), before a query or fragment, at the end of a sentence, and every one in a text", () => {
    expect(maskLinkTokens(`<https://x.test/unsubscribe/${TOKEN}>`)).toBe(`<https://x.test/unsubscribe/${MASK}wxyz>`);
    expect(maskLinkTokens(`https://x.test/invitations/${TOKEN}?utm=1#top`)).toBe(`https://x.test/invitations/${MASK}wxyz?utm=1#top`);
    // A full stop may be part of a token (unsubscribe tokens have two), so it stays masked with it.
    expect(maskLinkTokens(`/invitations/${TOKEN} and /invitations/${TOKEN}.`)).toBe(`/invitations/${MASK}wxyz and /invitations/${MASK}xyz.`);
    expect(maskLinkTokens(`"https://x.test/Confirm-Transfer/${TOKEN}"`)).toBe(`"https://x.test/Confirm-Transfer/${MASK}wxyz"`);
  });

  it("V14.2.6 shows nothing of a short token, and leaves text without token links alone", () => {
    expect(maskLinkTokens("https://x.test/invitations/tok123")).toBe(`https://x.test/invitations/${MASK}`);
    const plain = "Your balance is $12.00. Manage lists at https://x.test/settings/notifications and /invitations/ (no token).";
    expect(maskLinkTokens(plain)).toBe(plain);
  });

  it("V14.2.6 covers every route that takes a token in its path", () => {
    const routes = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../routes");
    const tokenRoutes = readdirSync(routes)
      .map((f) => f.replace(/\.tsx?$/, "").split("."))
      .filter((segments) => segments.some((s) => /^\$.*token/i.test(s)))
      .map((segments) => {
        const before = segments.slice(
          0,
          segments.findIndex((s) => /^\$.*token/i.test(s)),
        );
        // Remix flat routes: a leading _ is a pathless layout, a trailing _ only opts out of nesting.
        return `/${before
          .filter((s) => !s.startsWith("_"))
          .map((s) => s.replace(/_$/, ""))
          .join("/")}/`;
      });
    expect(tokenRoutes.length).toBeGreaterThanOrEqual(3);
    for (const prefix of tokenRoutes) expect(TOKEN_LINK_PATHS).toContain(prefix);
  });
});

describe("mailLinksShownInFull", () => {
  it("V14.2.6 only a kept mail outside production (the console is its one mailbox) shows its links; delivered mail never does", () => {
    const dev = { isProduction: false };
    const prod = { isProduction: true };
    expect(mailLinksShownInFull({ status: "kept" }, dev)).toBe(true);
    expect(mailLinksShownInFull({ status: "kept" }, prod)).toBe(false);
    for (const status of ["pending", "sending", "sent", "failed"]) {
      expect(mailLinksShownInFull({ status }, dev)).toBe(false);
      expect(mailLinksShownInFull({ status }, prod)).toBe(false);
    }
  });
});
