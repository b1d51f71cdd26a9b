/**
 * A raw-ish HTTP client for the fuzzer: node:http (not fetch) so it can send
 * any method, header bytes and body the server's parser would accept, with
 * keep-alive and bounded concurrency; plus a socket writer for requests no
 * client library would send (broken request lines, bad chunking).
 */
import http from "node:http";
import net from "node:net";

export interface WireRequest {
  method: string;
  /** Path and query, already encoded (bytes 0x21-0xFF only). */
  path: string;
  headers: Record<string, string>;
  body?: Buffer;
}

export interface WireAnswer {
  status: number;
  /** The first bytes of the body, for reports. */
  head: string;
  location: string | null;
  /** A transport failure instead of an answer (reset, timeout). */
  error: string | null;
  ms: number;
  /** When it was sent (epoch ms). */
  at?: number;
}

export class HttpClient {
  private readonly agent: http.Agent;
  constructor(
    private readonly host: string,
    private readonly port: number,
    maxSockets: number,
    options: { keepAlive?: boolean } = {},
  ) {
    if (options.keepAlive) {
      this.agent = new http.Agent({ keepAlive: true, maxSockets, maxFreeSockets: maxSockets });
      return;
    }
    // One connection per request: each answer is judged on its own. (Whether a connection stays usable
    // after an answer is its own test in http-fuzz.test.ts: a poisoned keep-alive socket would otherwise
    // turn one bad answer into a cascade of unrelated resets.)
    // (maxSockets must stay unbounded: with a bound, Node's agent hands a freed socket to a queued request
    // even without keepAlive, and sends "Connection: keep-alive". The caller bounds concurrency instead.)
    this.agent = new http.Agent({ keepAlive: false });
  }

  send(req: WireRequest, timeoutMs = 30_000): Promise<WireAnswer> {
    const started = Date.now();
    return new Promise((resolve) => {
      let settled = false;
      const done = (a: Omit<WireAnswer, "ms">) => {
        if (settled) return;
        settled = true;
        resolve({ ...a, ms: Date.now() - started, at: started });
      };
      let r: http.ClientRequest;
      try {
        const headers: Record<string, string> = { ...req.headers };
        if (req.body && headers["Content-Length"] === undefined && headers["Transfer-Encoding"] === undefined)
          headers["Content-Length"] = String(req.body.length);
        // Answers may carry long headers (a redirect back to a long URL): read them like a browser would.
        r = http.request({
          host: this.host,
          port: this.port,
          method: req.method,
          path: req.path,
          headers,
          agent: this.agent,
          setHost: headers.Host === undefined,
          maxHeaderSize: 256 * 1024,
        });
      } catch (err) {
        // The client refused to send it (e.g. an invalid method token): not the server's fault, not sent.
        done({ status: -1, head: "", location: null, error: `client refused: ${(err as Error).message}` });
        return;
      }
      r.setTimeout(timeoutMs, () => {
        done({ status: 0, head: "", location: null, error: `timeout after ${timeoutMs} ms` });
        r.destroy();
      });
      r.on("response", (res) => {
        const chunks: Buffer[] = [];
        let size = 0;
        res.on("data", (c: Buffer) => {
          if (size < 600) chunks.push(c);
          size += c.length;
        });
        res.on("end", () =>
          done({
            status: res.statusCode ?? 0,
            head: Buffer.concat(chunks).toString("utf8").slice(0, 600),
            location: (res.headers.location as string | undefined) ?? null,
            error: null,
          }),
        );
        res.on("error", (err) => done({ status: res.statusCode ?? 0, head: "", location: null, error: `response: ${err.message}` }));
      });
      r.on("error", (err) =>
        done({
          status: 0,
          head: "",
          location: null,
          error: `${(err as NodeJS.ErrnoException).code ?? ""} ${err.message}${r.reusedSocket ? " (on a reused connection)" : ""}`.trim(),
        }),
      );
      if (req.body && req.body.length > 0) r.end(req.body);
      else r.end();
    });
  }

  close() {
    this.agent.destroy();
  }
}

/** Runs `fn` over `items`, at most `concurrency` at a time; results in input order. */
export async function inPool<T, R>(items: readonly T[], concurrency: number, fn: (item: T, index: number) => Promise<R>): Promise<R[]> {
  const results = new Array<R>(items.length);
  let next = 0;
  const worker = async () => {
    for (;;) {
      const i = next++;
      if (i >= items.length) return;
      results[i] = await fn(items[i]!, i);
    }
  };
  await Promise.all(Array.from({ length: Math.min(concurrency, items.length) }, worker));
  return results;
}

/**
 * Writes raw bytes to a fresh connection and reads the status line of the first answer.
 * The connection is not half-closed (Node's server drops a request whose client sent FIN);
 * a request the server is still waiting to complete ends in a timeout.
 */
export function sendRaw(port: number, bytes: Buffer, timeoutMs = 3_000): Promise<{ status: number; line: string; error: string | null }> {
  return new Promise((resolve) => {
    const socket = net.connect(port, "127.0.0.1");
    let data = "";
    let settled = false;
    const done = (error: string | null) => {
      if (settled) return;
      settled = true;
      socket.destroy();
      const line = data.split("\r\n")[0] ?? "";
      const m = /^HTTP\/1\.[01] (\d{3})/.exec(line);
      resolve({ status: m ? Number(m[1]) : 0, line: line.slice(0, 120), error: m ? null : (error ?? "connection closed without an answer") });
    };
    socket.setTimeout(timeoutMs, () => done(`timeout after ${timeoutMs} ms`));
    socket.on("connect", () => socket.write(bytes));
    socket.on("data", (c) => {
      data += c.toString("latin1");
      if (data.includes("\r\n\r\n")) done(null);
    });
    socket.on("end", () => done(null));
    socket.on("close", () => done(null));
    socket.on("error", (err) => done((err as NodeJS.ErrnoException).code ?? err.message));
  });
}
