/**
 * Drives the local secret-scanning stand-in the way the app and a browser
 * would (plain fetch), with a tiny local HTTP server playing the app's
 * /hooks/secret-scanning: every report it receives is verified with
 * node:crypto against the PEM the stand-in serves, as GitHub's partners verify.
 */
import { createHash, createPublicKey, verify } from "node:crypto";
import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { createServer, request, type IncomingMessage, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import os from "node:os";
import path from "node:path";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import {
  DEFAULT_FOUND_URL,
  localSecretScannerSettings,
  startLocalSecretScanner,
  SWITCHBOARD_TOKEN_TYPE,
  type LocalSecretScanner,
} from "./local-secret-scanner.js";

const TOKEN = "tgp_v1_AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA000000";
const sha256Hex = (s: string | Buffer) => createHash("sha256").update(s).digest("hex");

interface Received {
  headers: IncomingMessage["headers"];
  body: Buffer;
}

/** The app's hook: records every request and answers as Switchboard's would (or `status` with `answer`). */
class Hook {
  received: Received[] = [];
  status = 200;
  answer: unknown = null;
  private server: Server;
  url = "";

  constructor() {
    this.server = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on("data", (c: Buffer) => chunks.push(c));
      req.on("end", () => {
        const body = Buffer.concat(chunks);
        this.received.push({ headers: req.headers, body });
        const answer =
          this.answer ??
          (JSON.parse(body.toString("utf8")) as { token: string; type: string }[]).map((f) => ({
            token_hash: sha256Hex(f.token),
            token_type: f.type,
            label: "true_positive",
          }));
        res.writeHead(this.status, { "Content-Type": "application/json" }).end(JSON.stringify(answer));
      });
    });
  }

  async start(): Promise<void> {
    await new Promise<void>((resolve) => this.server.listen(0, "127.0.0.1", resolve));
    this.url = `http://127.0.0.1:${(this.server.address() as AddressInfo).port}/hooks/secret-scanning`;
  }

  reset(): void {
    this.received = [];
    this.status = 200;
    this.answer = null;
  }

  stop(): Promise<void> {
    return new Promise((resolve) => {
      this.server.closeAllConnections();
      this.server.close(() => resolve());
    });
  }
}

async function servedKeys(scanner: LocalSecretScanner) {
  const res = await fetch(scanner.keysUrl);
  expect(res.status).toBe(200);
  expect(res.headers.get("content-type")).toMatch(/^application\/json/);
  return (await res.json()) as { public_keys: { key_identifier: string; key: string; is_current: boolean }[] };
}

/** Verifies one received report as a partner does: the served key named by the identifier, over the raw body. */
async function verifies(scanner: LocalSecretScanner, r: Received): Promise<boolean> {
  const { public_keys } = await servedKeys(scanner);
  const key = public_keys.find((k) => k.key_identifier === r.headers["github-public-key-identifier"]);
  if (!key) return false;
  return verify("sha256", r.body, createPublicKey(key.key), Buffer.from(String(r.headers["github-public-key-signature"]), "base64"));
}

const hook = new Hook();
let scanner: LocalSecretScanner;
let dir: string;

beforeAll(async () => {
  await hook.start();
  dir = mkdtempSync(path.join(os.tmpdir(), "secret-scanner-"));
  scanner = await startLocalSecretScanner({ port: 0, hookUrl: hook.url, appUrl: "http://localhost:3999" });
});
afterAll(async () => {
  await scanner.stop();
  await hook.stop();
  rmSync(dir, { recursive: true, force: true });
});
beforeEach(() => hook.reset());

describe("the public keys endpoint", () => {
  it("serves one current ECDSA P-256 key in GitHub's shape, named by the SHA-256 of its DER", async () => {
    const body = await servedKeys(scanner);
    expect(Object.keys(body)).toEqual(["public_keys"]);
    expect(body.public_keys).toHaveLength(1);
    const [k] = body.public_keys;
    expect(Object.keys(k).sort()).toEqual(["is_current", "key", "key_identifier"]);
    expect(k.is_current).toBe(true);
    expect(k.key).toMatch(/^-----BEGIN PUBLIC KEY-----\n[\s\S]+\n-----END PUBLIC KEY-----\n?$/);
    const publicKey = createPublicKey(k.key);
    expect(publicKey.asymmetricKeyType).toBe("ec");
    expect(publicKey.asymmetricKeyDetails?.namedCurve).toBe("prime256v1");
    expect(k.key_identifier).toMatch(/^[0-9a-f]{64}$/);
    expect(k.key_identifier).toBe(sha256Hex(publicKey.export({ type: "spki", format: "der" })));
    expect(k.key_identifier).toBe(scanner.keyIdentifier);
  });
});

describe("reports", () => {
  it("POSTs GitHub's body with a signature that verifies against the served key over the exact bytes", async () => {
    const outcome = await scanner.report([{ token: TOKEN, url: "https://github.com/acme/app/blob/main/.env" }]);
    expect(outcome).toEqual({
      delivered: true,
      status: 200,
      answer: [{ token_hash: sha256Hex(TOKEN), token_type: SWITCHBOARD_TOKEN_TYPE, label: "true_positive" }],
    });
    expect(hook.received).toHaveLength(1);
    const [r] = hook.received;
    expect(r.headers["content-type"]).toBe("application/json");
    expect(r.headers["github-public-key-identifier"]).toBe(scanner.keyIdentifier);
    expect(JSON.parse(r.body.toString("utf8"))).toEqual([
      { token: TOKEN, type: "switchboard_api_key", url: "https://github.com/acme/app/blob/main/.env", source: "content" },
    ]);
    expect(await verifies(scanner, r)).toBe(true);
    // One byte more and it no longer verifies: the signature covers the body as sent.
    expect(await verifies(scanner, { ...r, body: Buffer.concat([r.body, Buffer.from(" ")]) })).toBe(false);
  });

  it("signs any body given (tests send their own, malformed ones too)", () => {
    const headers = scanner.sign("[]");
    expect(headers["Github-Public-Key-Identifier"]).toBe(scanner.keyIdentifier);
    expect(verify("sha256", Buffer.from("[]"), createPublicKey(scanner.publicKeyPem), Buffer.from(headers["Github-Public-Key-Signature"], "base64"))).toBe(
      true,
    );
  });

  it("says so when the app cannot be reached", async () => {
    const lonely = await startLocalSecretScanner({ port: 0, hookUrl: "http://127.0.0.1:1/hooks/secret-scanning" });
    try {
      const outcome = await lonely.report([{ token: TOKEN }]);
      expect(outcome).toEqual({ delivered: false, problem: expect.stringContaining("could not be reached") });
    } finally {
      await lonely.stop();
    }
  });
});

describe("the key pair", () => {
  it("is kept in the key file (mode 600): a restart keeps the same identifier; without a file each start makes its own", async () => {
    const keyFile = path.join(dir, "nested", "secret-scanner-key.pem");
    const first = await startLocalSecretScanner({ port: 0, hookUrl: hook.url, keyFile });
    const firstId = first.keyIdentifier;
    await first.stop();
    expect(statSync(keyFile).mode & 0o777).toBe(0o600);
    expect(readFileSync(keyFile, "utf8")).toMatch(/^-----BEGIN PRIVATE KEY-----/);
    const second = await startLocalSecretScanner({ port: 0, hookUrl: hook.url, keyFile });
    try {
      expect(second.keyIdentifier).toBe(firstId);
      expect((await servedKeys(second)).public_keys[0].key_identifier).toBe(firstId);
      await second.report([{ token: TOKEN }]);
      expect(await verifies(second, hook.received.at(-1)!)).toBe(true);
    } finally {
      await second.stop();
    }
    expect(scanner.keyIdentifier).not.toBe(firstId);
  });

  it("refuses a key file that holds no P-256 key, naming it", async () => {
    const keyFile = path.join(dir, "broken.pem");
    writeFileSync(keyFile, "not a key");
    await expect(startLocalSecretScanner({ port: 0, hookUrl: hook.url, keyFile })).rejects.toThrow(
      /broken\.pem holds no usable ECDSA P-256 private key.*delete it/,
    );
  });
});

describe("the page", () => {
  const formTokenOf = (html: string) => /name="form_token" value="([^"]+)"/.exec(html)![1];
  const post = (fields: Record<string, string>, headers: Record<string, string> = {}) =>
    fetch(`${scanner.url}/`, {
      method: "POST",
      headers: { "Content-Type": "application/x-www-form-urlencoded", ...headers },
      body: new URLSearchParams(fields).toString(),
    });
  let formToken: string;
  beforeEach(async () => {
    const res = await fetch(`${scanner.url}/`);
    expect(res.status).toBe(200);
    expect(res.headers.get("cache-control")).toBe("no-store");
    // Under no-referrer Chromium posts the form with `Origin: null`, which the origin check refuses.
    expect(res.headers.get("referrer-policy")).toBe("same-origin");
    const html = await res.text();
    expect(html).toContain('<label for="token">');
    expect(html).toContain(`value="${DEFAULT_FOUND_URL}"`);
    expect(html).toContain("Report to Switchboard");
    formToken = formTokenOf(html);
  });

  it("reports the pasted key and shows the app's answer (the hash, never the key)", async () => {
    // As a browser posts it: from the page's own origin (the page's Referrer-Policy keeps that from being "null").
    const res = await post({ form_token: formToken, token: ` ${TOKEN} `, url: "https://github.com/acme/app/blob/main/config.js" }, { Origin: scanner.url });
    expect(res.status).toBe(200);
    const html = await res.text();
    expect(html).toContain("Reported to Switchboard");
    expect(html).toContain(sha256Hex(TOKEN));
    expect(html).toContain("(the key you pasted)");
    expect(html).toContain("true_positive");
    expect(html).toContain('href="http://localhost:3999/settings/api-keys"');
    expect(html).not.toContain(TOKEN);
    expect(hook.received).toHaveLength(1);
    expect(JSON.parse(hook.received[0].body.toString("utf8"))[0]).toMatchObject({ token: TOKEN, url: "https://github.com/acme/app/blob/main/config.js" });
    expect(await verifies(scanner, hook.received[0])).toBe(true);
  });

  it("shows a refusal as a refusal, with what the app said", async () => {
    hook.status = 401;
    hook.answer = { error: "unknown key identifier" };
    const res = await post({ form_token: formToken, token: TOKEN, url: DEFAULT_FOUND_URL });
    expect(res.status).toBe(502);
    const html = await res.text();
    expect(html).toContain("Switchboard refused the report");
    expect(html).toContain("unknown key identifier");
  });

  it("sends nothing without the form's token, from another origin, or under another Host name", async () => {
    expect((await post({ token: TOKEN, url: DEFAULT_FOUND_URL })).status).toBe(403);
    expect((await post({ form_token: "x".repeat(formToken.length), token: TOKEN, url: DEFAULT_FOUND_URL })).status).toBe(403);
    expect((await post({ form_token: formToken, token: TOKEN, url: DEFAULT_FOUND_URL }, { Origin: "https://evil.example" })).status).toBe(403);
    expect((await post({ form_token: formToken, token: TOKEN, url: DEFAULT_FOUND_URL }, { Origin: "null" })).status).toBe(403);
    // DNS rebinding: a page at evil.example resolved to 127.0.0.1 sends its own Host.
    // (fetch will not set Host, so this one goes through node:http.)
    const rebound = await new Promise<number>((resolve, reject) => {
      const u = new URL(`${scanner.url}/report`);
      const req = request(
        { host: u.hostname, port: u.port, path: u.pathname, method: "POST", headers: { "Content-Type": "application/json", Host: "evil.example" } },
        (res) => {
          res.resume();
          resolve(res.statusCode!);
        },
      );
      req.on("error", reject);
      req.end(JSON.stringify({ token: TOKEN }));
    });
    expect(rebound).toBe(421);
    const crossOrigin = await fetch(`${scanner.url}/report`, {
      method: "POST",
      headers: { "Content-Type": "application/json", Origin: "https://evil.example" },
      body: JSON.stringify({ token: TOKEN }),
    });
    expect(crossOrigin.status).toBe(403);
    const asForm = await fetch(`${scanner.url}/report`, { method: "POST", headers: { "Content-Type": "text/plain" }, body: JSON.stringify({ token: TOKEN }) });
    expect(asForm.status).toBe(415);
    expect(hook.received).toHaveLength(0);
  });

  it("refuses bad input with a clear message and sends nothing", async () => {
    const cases: [Record<string, string>, RegExp][] = [
      [{ token: "", url: DEFAULT_FOUND_URL }, /Paste the token/],
      [{ token: TOKEN, url: "javascript:alert(1)" }, /absolute http\(s\) URL/],
      [{ token: `${TOKEN}\u0000`, url: DEFAULT_FOUND_URL }, /token: must not contain the NUL character/],
    ];
    for (const [fields, message] of cases) {
      const res = await post({ form_token: formToken, ...fields });
      expect(res.status).toBe(400);
      expect(await res.text()).toMatch(message);
    }
    const loneSurrogate = await fetch(`${scanner.url}/`, {
      method: "POST",
      headers: { "Content-Type": "application/x-www-form-urlencoded" },
      body: `form_token=${formToken}&token=%ED%A0%80&url=${encodeURIComponent(DEFAULT_FOUND_URL)}`,
    });
    expect(loneSurrogate.status).toBe(400);
    expect(await loneSurrogate.text()).toContain("token must be valid UTF-8");
    expect(hook.received).toHaveLength(0);
  });
});

describe("POST /report", () => {
  it("reports one or several findings and answers with the app's status and answer", async () => {
    const res = await fetch(`${scanner.url}/report`, {
      method: "POST",
      headers: { "Content-Type": "application/json" },
      body: JSON.stringify([
        { token: TOKEN, url: "https://github.com/a/b/blob/main/x" },
        { token: "ghp_other", type: "github_token" },
      ]),
    });
    expect(res.status).toBe(200);
    const body = await res.json();
    expect(body.status).toBe(200);
    expect(body.answer.map((a: { token_hash: string }) => a.token_hash)).toEqual([sha256Hex(TOKEN), sha256Hex("ghp_other")]);
    expect(JSON.parse(hook.received[0].body.toString("utf8"))).toEqual([
      { token: TOKEN, type: SWITCHBOARD_TOKEN_TYPE, url: "https://github.com/a/b/blob/main/x", source: "content" },
      { token: "ghp_other", type: "github_token", url: DEFAULT_FOUND_URL, source: "content" },
    ]);
  });

  it("refuses a malformed request naming the problem", async () => {
    for (const [body, message] of [
      [{ token: TOKEN, extra: 1 }, /Unrecognized key/],
      [[], /at least one token/],
      [{ token: "a\ud800" }, /token: must be well-formed Unicode/],
    ] as const) {
      const res = await fetch(`${scanner.url}/report`, { method: "POST", headers: { "Content-Type": "application/json" }, body: JSON.stringify(body) });
      expect(res.status).toBe(400);
      expect((await res.json()).error).toMatch(message);
    }
    expect(hook.received).toHaveLength(0);
  });
});

describe("settings for npm start", () => {
  it("reads the port (default 4040) and whether real keys are configured", () => {
    expect(localSecretScannerSettings({})).toEqual({ keysUrlFromEnv: undefined, port: 4040 });
    expect(localSecretScannerSettings({ SECRET_SCANNING_KEYS_URL: "", LOCAL_SECRET_SCANNER_PORT: "" })).toEqual({ keysUrlFromEnv: undefined, port: 4040 });
    expect(
      localSecretScannerSettings({ SECRET_SCANNING_KEYS_URL: "https://api.github.com/meta/public_keys/secret_scanning", LOCAL_SECRET_SCANNER_PORT: "4141" }),
    ).toEqual({ keysUrlFromEnv: "https://api.github.com/meta/public_keys/secret_scanning", port: 4141 });
    expect(() => localSecretScannerSettings({ LOCAL_SECRET_SCANNER_PORT: "70000" })).toThrow(/LOCAL_SECRET_SCANNER_PORT/);
  });
});
