/**
 * A real local HTTP server standing in for an external mailing-list provider
 * (the generic API of app/mailing-lists/provider.server.ts), for development and
 * tests. It keeps contacts in memory and can be told to fail or be slow, so
 * that unsubscribing is a real network call that can fail and be retried.
 *
 * Control (no auth, local only):
 *   POST /_control {"failNext": 3, "failStatus": 503, "delayMs": 200, "failOn": "unsubscribe"}
 *   GET  /_state   -> {contacts: {id: {email, lists}}, calls: {subscribe, unsubscribe, erase}, failed}
 *
 * Run alone with `npm run dev:mailing-provider` (port MAILING_PROVIDER_PORT, default 4020).
 */
import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { fileURLToPath } from "node:url";
import { z } from "zod";

type Operation = "subscribe" | "unsubscribe" | "erase";

export interface ProviderState {
  contacts: Record<string, { email: string; lists: string[] }>;
  calls: Record<Operation, number>;
  /** Calls answered with an injected failure. */
  failed: number;
}

export interface LocalMailingProvider {
  url: string;
  token: string;
  /** Fail the next `count` calls (of one operation, or any) with `status`; optionally delay every call. */
  control(options: { failNext?: number; failStatus?: number; failOn?: Operation | "any"; delayMs?: number }): void;
  state(): ProviderState;
  stop(): Promise<void>;
}

const ControlSchema = z.object({
  failNext: z.number().int().min(0).max(1000).optional(),
  failStatus: z.number().int().min(400).max(599).optional(),
  failOn: z.enum(["subscribe", "unsubscribe", "erase", "any"]).optional(),
  delayMs: z.number().int().min(0).max(60_000).optional(),
});

export async function startLocalMailingProvider(options: { port?: number; token?: string } = {}): Promise<LocalMailingProvider> {
  const token = options.token ?? "local-mailing-provider-token";
  const contacts = new Map<string, { email: string; lists: Set<string> }>();
  const calls: Record<Operation, number> = { subscribe: 0, unsubscribe: 0, erase: 0 };
  let failed = 0;
  const faults = { failNext: 0, failStatus: 503, failOn: "any" as Operation | "any", delayMs: 0 };

  const control: LocalMailingProvider["control"] = (o) => Object.assign(faults, Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)));
  const state = (): ProviderState => ({
    contacts: Object.fromEntries([...contacts].map(([id, c]) => [id, { email: c.email, lists: [...c.lists].sort() }])),
    calls: { ...calls },
    failed,
  });

  const send = (res: ServerResponse, status: number, body?: unknown) => {
    res.writeHead(status, body === undefined ? {} : { "Content-Type": "application/json" });
    res.end(body === undefined ? undefined : JSON.stringify(body));
  };

  async function readJson(req: IncomingMessage): Promise<unknown> {
    let size = 0;
    const chunks: Buffer[] = [];
    for await (const chunk of req) {
      size += (chunk as Buffer).length;
      if (size > 64 * 1024) throw new Error("body too large");
      chunks.push(chunk as Buffer);
    }
    return chunks.length ? JSON.parse(Buffer.concat(chunks).toString("utf8")) : {};
  }

  async function handle(req: IncomingMessage, res: ServerResponse) {
    const url = new URL(req.url ?? "/", "http://localhost");
    const parts = url.pathname.split("/").filter(Boolean).map(decodeURIComponent);

    if (url.pathname === "/_control" && req.method === "POST") {
      const parsed = ControlSchema.safeParse(await readJson(req));
      if (!parsed.success) return send(res, 400, { error: parsed.error.issues[0]?.message });
      control(parsed.data);
      return send(res, 204);
    }
    if (url.pathname === "/_state" && req.method === "GET") return send(res, 200, state());

    if (req.headers.authorization !== `Bearer ${token}`) return send(res, 401, { error: "bad token" });

    let op: Operation | null = null;
    if (parts[0] === "lists" && parts[2] === "members" && parts.length === 4)
      op = req.method === "PUT" ? "subscribe" : req.method === "DELETE" ? "unsubscribe" : null;
    else if (parts[0] === "contacts" && parts.length === 2 && req.method === "DELETE") op = "erase";
    if (!op) return send(res, 404, { error: "no such endpoint" });

    if (faults.delayMs > 0) await new Promise((r) => setTimeout(r, faults.delayMs));
    if (faults.failNext > 0 && (faults.failOn === "any" || faults.failOn === op)) {
      faults.failNext -= 1;
      failed += 1;
      return send(res, faults.failStatus, { error: "injected failure" });
    }
    calls[op] += 1;

    if (op === "subscribe") {
      const body = z.object({ email: z.string().email() }).safeParse(await readJson(req));
      if (!body.success) return send(res, 400, { error: "email required" });
      const contact = contacts.get(parts[3]!) ?? { email: body.data.email, lists: new Set<string>() };
      contact.email = body.data.email;
      contact.lists.add(parts[1]!);
      contacts.set(parts[3]!, contact);
      return send(res, 200, { ok: true });
    }
    if (op === "unsubscribe") {
      const contact = contacts.get(parts[3]!);
      if (!contact) return send(res, 404, { error: "no such contact" });
      contact.lists.delete(parts[1]!);
      return send(res, 200, { ok: true });
    }
    if (!contacts.delete(parts[1]!)) return send(res, 404, { error: "no such contact" });
    return send(res, 204);
  }

  const server = createServer((req, res) => {
    handle(req, res).catch(() => send(res, 400, { error: "bad request" }));
  });
  await new Promise<void>((resolve) => server.listen(options.port ?? 0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    token,
    control,
    state,
    stop: () =>
      new Promise((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const port = Number(process.env.MAILING_PROVIDER_PORT ?? 4020);
  const provider = await startLocalMailingProvider({ port, token: process.env.MAILING_PROVIDER_TOKEN });
  console.log(`Local mailing-list provider at ${provider.url} (token ${provider.token}).`);
  console.log(`Start Switchboard with MAILING_PROVIDER_URL=${provider.url} MAILING_PROVIDER_TOKEN=${provider.token}`);
}
