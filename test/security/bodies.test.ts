/**
 * Request bodies are bounded by the bytes actually read, not by what the
 * client declares: chunked uploads (no Content-Length) to a form action, the
 * inbound-mail hook and the API are refused with 413 as soon as their limit
 * passes, the server reads no further, and the connection is closed.
 * The web listener is the real one (server/http-app.ts); the test watches its
 * sockets to see how many bytes the server read.
 */
import { createServer, request, type Server } from "node:http";
import type { AddressInfo, Socket } from "node:net";
import path from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import type { ServerBuild } from "@remix-run/node";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createRequestListener } from "../../server/http-app.js";
import { accountWithKey } from "../helpers/accounts.js";
import { useSuite } from "../helpers/suite.js";

const INBOUND_SECRET = "inbound-secret-for-the-body-limit-tests-0123456789";
const t = useSuite({ app: true, appEnv: { INBOUND_EMAIL_SECRET: INBOUND_SECRET } });

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../..");
const MB = 1_000_000;

let server: Server;
let base: string;
const sockets: Socket[] = [];

beforeAll(async () => {
  const build = (await import(pathToFileURL(path.join(root, "build", "index.js")).href)) as ServerBuild;
  server = createServer(createRequestListener(build, t.app.services, path.join(root, "public")));
  server.on("connection", (s) => sockets.push(s));
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterAll(async () => {
  server.closeAllConnections();
  await new Promise((r) => server.close(r));
});

interface Upload {
  status: number | undefined;
  body: string;
  connection: string | undefined;
  /** Bytes the server read from the connection (headers and all). */
  serverRead: number;
  /** Whether the whole body had been handed to the socket before the answer came. */
  sentAll: boolean;
}

/**
 * Streams `total` bytes of `fill` as a chunked body (Node sends no Content-Length
 * when none is set), stopping as soon as the answer arrives or the connection dies.
 */
function chunkedUpload(pathname: string, total: number, headers: Record<string, string> = {}, fill = "a"): Promise<Upload> {
  const before = sockets.length;
  return new Promise((resolve, reject) => {
    let sent = 0;
    let answered = false;
    let sentAllBeforeAnswer = false;
    // keep-alive asked for: a server that means to close must say so itself.
    const req = request(`${base}${pathname}`, {
      method: "POST",
      headers: { "Transfer-Encoding": "chunked", Connection: "keep-alive", ...headers },
      agent: false,
    });
    const chunk = Buffer.alloc(64 * 1024, fill);
    const pump = () => {
      while (!answered && sent < total) {
        sent += chunk.length;
        if (!req.write(chunk)) return void req.once("drain", pump);
      }
      if (!answered) {
        sentAllBeforeAnswer = true;
        req.end();
      }
    };
    const finish = (status: number | undefined, body: string, connection: string | undefined) => {
      // Read on the server side once the connection is gone: every byte it will ever read.
      const socket = sockets[before];
      const done = () => resolve({ status, body, connection, serverRead: socket?.bytesRead ?? -1, sentAll: sentAllBeforeAnswer });
      if (!socket || socket.destroyed) done();
      else socket.once("close", done);
    };
    req.on("response", (res) => {
      answered = true;
      let body = "";
      res.setEncoding("utf8");
      res.on("data", (d: string) => (body += d));
      res.on("end", () => finish(res.statusCode, body, res.headers.connection));
      res.on("error", () => finish(res.statusCode, body, res.headers.connection));
    });
    req.on("error", (err) => {
      // The server closing a connection we were still writing to is expected once it has answered.
      if (!answered) reject(err);
    });
    req.flushHeaders();
    pump();
  });
}

describe("request bodies are counted as read", () => {
  it("V15.2.2 a chunked 5 MB form post to /logout (no sign-in, no Content-Length) is refused with 413 after at most ~1 MB read", async () => {
    const r = await chunkedUpload("/logout", 5 * MB, { "Content-Type": "application/x-www-form-urlencoded" });
    expect(r.status).toBe(413);
    expect(r.body).toBe("The request body is too large (1 MB at most).");
    expect(r.connection).toBe("close");
    expect(r.sentAll).toBe(false);
    expect(r.serverRead).toBeGreaterThan(MB);
    expect(r.serverRead).toBeLessThan(1.5 * MB);
  });

  it("V15.2.2 the same on another action (a multipart form to /auth/github) and on Remix's .data fetches", async () => {
    for (const target of ["/auth/github", "/logout.data"]) {
      const r = await chunkedUpload(target, 5 * MB, { "Content-Type": "multipart/form-data; boundary=x" });
      expect(r.status, target).toBe(413);
      expect(r.serverRead, target).toBeLessThan(1.5 * MB);
    }
  });

  it("V15.2.2 a declared Content-Length past the limit is refused before any of the body is read", async () => {
    const before = sockets.length;
    const answer = await new Promise<{ status?: number; connection?: string }>((resolve, reject) => {
      const req = request(`${base}/logout`, { method: "POST", headers: { "Content-Length": String(2 * MB), Connection: "keep-alive" }, agent: false });
      req.on("response", (res) => {
        res.resume();
        res.on("end", () => resolve({ status: res.statusCode, connection: res.headers.connection }));
      });
      req.on("error", reject);
      req.flushHeaders(); // the headers only: the server must answer without waiting for the body
    });
    expect(answer).toEqual({ status: 413, connection: "close" });
    expect(sockets[before].bytesRead).toBeLessThan(4096);
  });

  it("V15.2.2 /hooks/inbound-email stops reading at its own 256 KB and answers 413 in its JSON shape", async () => {
    const r = await chunkedUpload("/hooks/inbound-email", 5 * MB, {
      "Content-Type": "application/json",
      "X-Switchboard-Signature": `sha256=${"0".repeat(64)}`,
    });
    expect(r.status).toBe(413);
    expect(JSON.parse(r.body)).toMatchObject({ error: { type: "payload_too_large" } });
    expect(r.connection).toBe("close");
    expect(r.serverRead).toBeLessThan(512 * 1024);
  });

  it("V15.2.2 POST /v1/usage with a valid key stops reading at 16 KB and answers 413; without a key nothing past the headers is kept reading", async () => {
    const { key } = await accountWithKey(t.db, { balanceCents: 1000n });
    const r = await chunkedUpload("/v1/usage", 5 * MB, { Authorization: `Bearer ${key}`, "Content-Type": "application/json" });
    expect(r.status).toBe(413);
    expect(JSON.parse(r.body)).toMatchObject({ error: { type: "payload_too_large" } });
    expect(r.connection).toBe("close");
    expect(r.serverRead).toBeLessThan(256 * 1024);

    // Refused before the body is read (no key): the connection closes instead of being drained for reuse.
    const anonymous = await chunkedUpload("/v1/usage", 5 * MB, { "Content-Type": "application/json" });
    expect(anonymous.status).toBe(401);
    expect(anonymous.connection).toBe("close");
    expect(anonymous.serverRead).toBeLessThan(1.5 * MB);
  });

  it("V15.2.2 a body under the limit still gets through whole (a chunked /v1/usage debit)", async () => {
    const { key } = await accountWithKey(t.db, { balanceCents: 1000n });
    const res = await fetch(`${base}/v1/usage`, {
      method: "POST",
      headers: { Authorization: `Bearer ${key}`, "Content-Type": "application/json" },
      // A stream body: fetch sends it chunked.
      body: new Blob([JSON.stringify({ amount_cents: 5, idempotency_key: crypto.randomUUID() })]).stream(),
      duplex: "half",
    } as RequestInit);
    expect(res.status).toBe(201);
  });

  it("V15.2.2 twenty parallel chunked 5 MB posts leave the web process's memory where it was", async () => {
    const before = process.memoryUsage().rss;
    const results = await Promise.all(Array.from({ length: 20 }, () => chunkedUpload("/logout", 5 * MB)));
    expect(results.map((r) => r.status)).toEqual(Array(20).fill(413));
    // Read whole, these would be 100 MB; each is cut at ~1 MB.
    expect(process.memoryUsage().rss - before).toBeLessThan(60 * MB);
  });
});
