/** The handler's cheap paths, with no database at all: a malformed key must not reach one. */
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createLogger } from "../logger.server.js";
import { FailedAttempts } from "./failed-attempts.js";
import { createV1Handler, type ApiRuntime } from "./v1.server.js";

const touched: string[] = [];
const explode = (what: string) =>
  new Proxy(
    {},
    {
      get(_t, prop) {
        touched.push(`${what}.${String(prop)}`);
        throw new Error(`${what} must not be touched`);
      },
    },
  );

let server: Server;
let url: string;

beforeAll(async () => {
  const runtime = {
    failedAttempts: new FailedAttempts(),
    verifier: explode("verifier"),
    accounts: explode("accounts"),
    lastUsed: explode("lastUsed"),
  } as unknown as ApiRuntime;
  const handler = createV1Handler({
    temporal: explode("temporal") as never,
    taskQueue: "none",
    logger: createLogger("silent", "test"),
    runtime,
    trustProxy: undefined,
  });
  server = createServer(handler);
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterAll(() => new Promise<void>((r) => server.close(() => r())));

describe("v1 handler before the database", () => {
  it.each([
    ["valid prefix, one character short", `tgp_v1_${"a".repeat(42)}`],
    ["valid prefix, one character long", `tgp_v1_${"a".repeat(44)}`],
    ["valid prefix and length, bad alphabet", `tgp_v1_${"a".repeat(42)}+`],
    ["other prefix", `sk_live_${"a".repeat(43)}`],
  ])("%s → 401 invalid_api_key without a cache or database lookup", async (_n, key) => {
    const res = await fetch(`${url}/v1/account`, { headers: { Authorization: `Bearer ${key}` } });
    expect(res.status).toBe(401);
    expect((await res.json()).error.type).toBe("invalid_api_key");
    expect(touched).toEqual([]);
  });
});
