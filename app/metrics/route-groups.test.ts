import { describe, expect, it } from "vitest";
import { ROUTE_GROUPS, routeGroup } from "./route-groups.js";

describe("routeGroup", () => {
  it.each([
    ["/v1/account", "v1_account"],
    ["/v1/account?x=1", "v1_account"],
    ["/v1/usage", "v1_usage"],
    ["/v1", "v1_other"],
    ["/v1/nope", "v1_other"],
    ["/v1/account/extra", "v1_other"],
    ["/hooks/stripe", "hooks"],
    ["/hooks/secret-scanning", "hooks"],
    ["/auth/github/callback?code=abc&state=def", "auth"],
    ["/login", "auth"],
    ["/login/password", "auth"],
    ["/login.data", "auth"],
    ["/logout", "auth"],
    ["/console", "console"],
    ["/console/accounts/6f1c0b2e-0000-4000-8000-000000000000", "console"],
    ["/console/audit.csv", "console"],
    ["/console/tickets.data", "console"],
    ["/healthz", "health"],
    ["/build/entry.client-ABCDEF.js", "assets"],
    ["/favicon.ico", "assets"],
    ["/", "pages"],
    ["/_root.data", "pages"],
    ["/settings/api-keys", "pages"],
    ["/settings/billing/ledger.csv", "pages"],
    ["/unsubscribe/some-secret-token", "pages"],
    ["/v1x", "pages"],
    ["/consoles", "pages"],
    ["/loginx", "pages"],
  ])("%s → %s", (url, group) => {
    expect(routeGroup(url)).toBe(group);
  });

  it("answers only the fixed groups, whatever the path (no label from a request)", () => {
    for (const url of [undefined, "", "*", "http://evil/x", "/%00", `/${"a".repeat(5000)}`, "/console/../v1/usage"]) {
      expect(ROUTE_GROUPS).toContain(routeGroup(url));
    }
  });
});
