/**
 * The ceiling: a bare node:http server answering a constant JSON body shaped
 * and sized like GET /v1/account's, with the same headers. Listens on an
 * OS-chosen port on 127.0.0.1 and reports it to the parent over IPC.
 */
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";

const payload = JSON.stringify({
  id: "00000000-0000-4000-8000-000000000000",
  plan: "build",
  status: "active",
  balance_cents: 100000000000,
  credit_limit_cents: 10000,
});
const length = Buffer.byteLength(payload);

const server = createServer((_req, res) => {
  res.writeHead(200, { "Content-Type": "application/json", "Content-Length": length, "Cache-Control": "no-store" });
  res.end(payload);
});
server.keepAliveTimeout = 65_000; // as server/web.ts
server.listen(0, "127.0.0.1", () => {
  const { port } = server.address() as AddressInfo;
  if (process.send) process.send({ port });
  else console.log(`bare server on http://127.0.0.1:${port}`);
});

const stop = () => process.exit(0);
process.on("SIGTERM", stop);
process.on("SIGINT", stop);
// The bench holds an IPC channel: if it dies, so do we.
if (process.send) process.on("disconnect", stop);
