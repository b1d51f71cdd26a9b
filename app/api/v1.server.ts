/**
 * The key-authenticated API (/v1/*), served by a plain node:http handler in
 * front of Express and Remix. Why not a Remix resource route: every API call
 * pays for routing, Request/Response conversion and Express's middleware stack,
 * which costs ~4× the CPU of the work itself (Express alone reaches a fifth to
 * a quarter of bare node:http). This path does only: header parse → cached key
 * verdict → cached account snapshot → the operation; a failed key (malformed,
 * unknown or revoked) is counted by the shared failed-key limiter, which a
 * valid key never touches. See BENCHMARKS.md for what it reaches.
 */
import type { IncomingMessage, ServerResponse } from "node:http";
import type { Client } from "@temporalio/client";
import proxyaddr from "proxy-addr";
import { z } from "zod";
import type { Db } from "../../db/connection.js";
import type { Logger } from "../logger.server.js";
import { parseBearer } from "../models/api-key-format.server.js";
import { startRecharge } from "../services/recharge.server.js";
import { decodeUtf8, faultPath, findTextFault, storableText, textProblemMessage } from "../validation/text.js";
import { AccountSnapshots, type AccountSnapshot } from "./account-snapshots.server.js";
import { NO_API_METRICS, type ApiMetrics } from "./api-metrics.js";
import { ChangeFeed } from "./change-feed.server.js";
import { countInDatabase, FailedAttempts } from "./failed-attempts.js";
import { KeyVerifier } from "./key-verifier.server.js";
import { LastUsedRecorder } from "./last-used.server.js";
import { UsageBatcher, type UsageBatchSettings } from "./usage-batcher.server.js";

const MAX_BODY = 16 * 1024;

export interface ApiRuntime {
  feed: ChangeFeed;
  verifier: KeyVerifier;
  accounts: AccountSnapshots;
  failedAttempts: FailedAttempts;
  lastUsed: LastUsedRecorder;
  /** Group commit of usage debits (one per process). */
  usage: UsageBatcher;
  stop(): Promise<void>;
}

/** One per web process: the caches, and the feed that keeps them honest. */
export async function startApiRuntime(deps: {
  db: Db;
  databaseUrl: string;
  logger: Logger;
  usageBatch: UsageBatchSettings;
  metrics?: ApiMetrics;
}): Promise<ApiRuntime> {
  const metrics = deps.metrics ?? NO_API_METRICS;
  const feed = new ChangeFeed(deps.databaseUrl, deps.logger, { db: deps.db, metrics });
  const verifier = new KeyVerifier(deps.db, feed.isHealthy, Date.now, metrics);
  const accounts = new AccountSnapshots(deps.db, feed.isHealthy);
  feed.on("api_key_changed", (hashHex) => verifier.invalidate(hashHex));
  feed.on("account_changed", (payload) => accounts.notified(payload));
  feed.onReset(() => {
    verifier.cache.reset();
    accounts.cache.reset();
  });
  await feed.start();
  // Known before the first request: whether a key with a wrong checksum may still be a live legacy key.
  await verifier.legacy.refresh();
  const lastUsed = new LastUsedRecorder(deps.db, deps.logger);
  const usage = new UsageBatcher(deps.db, deps.usageBatch, metrics, deps.logger);
  return {
    feed,
    verifier,
    accounts,
    failedAttempts: new FailedAttempts({
      count: countInDatabase(deps.db),
      onError: (err) => deps.logger.warn({ err: err instanceof Error ? err.message : String(err) }, "a failed key attempt could not be counted"),
    }),
    lastUsed,
    usage,
    async stop() {
      // Debits already received are posted and answered before the feed goes.
      await usage.stop();
      await lastUsed.stop();
      await feed.stop();
    },
  };
}

export interface V1Deps {
  temporal: Client;
  taskQueue: string;
  logger: Logger;
  runtime: ApiRuntime;
  trustProxy: number | string | undefined;
  /** A debit was refused by its key's monthly spend limit (the owners are told once a month; see security mail). */
  onKeySpendLimitReached?: (accountId: string, keyId: string) => Promise<void>;
}

type ErrorType =
  | "missing_api_key"
  | "invalid_api_key"
  | "revoked_api_key"
  | "expired_api_key"
  | "key_spend_limit_reached"
  | "account_blocked"
  | "rate_limited"
  | "invalid_request"
  | "idempotency_conflict"
  | "insufficient_balance"
  | "not_found"
  | "method_not_allowed"
  | "payload_too_large"
  | "unavailable";

function send(res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}) {
  const payload = JSON.stringify(body);
  res.writeHead(status, { "Content-Type": "application/json", "Content-Length": Buffer.byteLength(payload), "Cache-Control": "no-store", ...headers });
  res.end(payload);
}

function fail(res: ServerResponse, status: number, type: ErrorType, message: string, extra: Record<string, unknown> = {}, headers?: Record<string, string>) {
  send(res, status, { error: { type, message, ...extra } }, headers);
}

const UsageBody = z.object({
  amount_cents: z
    .number({ invalid_type_error: "must be a number" })
    .int("must be a whole number of cents")
    .positive("must be positive")
    .max(100_000_000, "must be at most 100000000"),
  // Storable exactly as sent: "k1-\ud800" must not be remembered as "k1-\ufffd" (another client's key).
  idempotency_key: z
    .string({ invalid_type_error: "must be a string" })
    .min(1, "must not be empty")
    .max(255, "must be at most 255 characters")
    .superRefine(storableText()),
});

export function createV1Handler(deps: V1Deps): (req: IncomingMessage, res: ServerResponse) => void {
  const { runtime } = deps;
  const trust =
    deps.trustProxy === undefined
      ? () => false
      : typeof deps.trustProxy === "number"
        ? (_addr: string, i: number) => i < (deps.trustProxy as number)
        : proxyaddr.compile(deps.trustProxy.split(",").map((s) => s.trim()));

  const routes: Record<string, { method: string; run: (req: IncomingMessage, res: ServerResponse, account: AccountSnapshot, keyId: string) => Promise<void> }> =
    {
      "/v1/account": { method: "GET", run: getAccount },
      "/v1/usage": { method: "POST", run: postUsage },
    };

  async function getAccount(_req: IncomingMessage, res: ServerResponse, a: AccountSnapshot) {
    send(res, 200, { id: a.id, plan: a.plan, status: a.status, balance_cents: Number(a.balanceCents), credit_limit_cents: Number(a.creditLimitCents) });
  }

  async function postUsage(req: IncomingMessage, res: ServerResponse, { id: accountId }: AccountSnapshot, keyId: string) {
    const raw = await readBody(req);
    if (raw === null) return fail(res, 413, "payload_too_large", `The request body is larger than ${MAX_BODY} bytes.`);
    // Strictly: bytes that are not UTF-8 would otherwise become U+FFFD, and two keys one.
    const text = decodeUtf8(raw);
    if (text === null) return fail(res, 400, "invalid_request", "The request body is not valid UTF-8.", { param: "body" });
    let json: unknown;
    try {
      json = JSON.parse(text);
    } catch {
      return fail(res, 400, "invalid_request", "The request body is not valid JSON.");
    }
    // Every string in the body, not only the fields read: NUL or a lone surrogate is refused, never stored or altered.
    const fault = findTextFault(json);
    if (fault) return fail(res, 400, "invalid_request", textProblemMessage(faultPath(fault), fault.problem), { param: faultPath(fault) });
    const parsed = UsageBody.safeParse(json);
    if (!parsed.success) {
      const issue = parsed.error.issues[0];
      const param = issue.path.join(".") || "body";
      const message = issue.code === "invalid_type" && issue.received === "undefined" ? `${param} is required.` : `${param} ${issue.message}.`;
      return fail(res, 400, "invalid_request", message, { param });
    }
    const { amount_cents, idempotency_key } = parsed.data;
    // Read-your-writes: the snapshot takes the committed row as soon as the debit
    // commits, so this client's next call here shows the new balance even before
    // the NOTIFY arrives (which can lag on a busy process).
    const write = runtime.accounts.beginWrite(accountId);
    // Group commit: answered once the batch holding this debit has committed.
    const result = await runtime.usage
      .post({ accountId, costCents: BigInt(amount_cents), idempotencyKey: `usage:${idempotency_key}`, keyId })
      .catch((err: unknown) => {
        write.unknown();
        throw err;
      });
    if (result.status === "created") {
      const { rowVersion, ...row } = result.account;
      write.committed({ id: accountId, ...row, version: rowVersion });
    } else write.unchanged();
    switch (result.status) {
      case "no_account":
        return fail(res, 401, "revoked_api_key", "This API key's account no longer exists.");
      case "insufficient":
        return fail(res, 402, "insufficient_balance", "This charge would take the balance below the credit limit; add credits or enable auto-recharge.", {
          balance_cents: Number(result.balanceCents),
          credit_limit_cents: Number(result.creditLimitCents),
        });
      case "key_limit": {
        // Told once per key and month; a failure to tell must not turn the refusal into a 503.
        await deps.onKeySpendLimitReached?.(accountId, keyId).catch((err: unknown) => {
          deps.logger.warn({ err: err instanceof Error ? err.message : String(err) }, "spend-limit mail could not be enqueued");
        });
        return fail(
          res,
          402,
          "key_spend_limit_reached",
          "This charge would pass this API key's monthly spend limit. An owner or admin can raise it in Settings → API keys; it resets at the start of the month (UTC).",
          { spend_limit_cents: Number(result.limitCents), spent_this_month_cents: Number(result.spentCents) },
        );
      }
      case "conflict":
        return fail(res, 409, "idempotency_conflict", "This idempotency_key was already used with a different amount_cents.", {
          param: "idempotency_key",
          original_amount_cents: -Number(result.entry.amountCents),
        });
      case "created":
      case "replayed": {
        const body = {
          id: result.entry.id,
          amount_cents: -Number(result.entry.amountCents),
          balance_cents: Number(result.entry.balanceAfterCents),
          idempotency_key,
          replayed: result.status === "replayed",
        };
        // Started before answering (rarely needed, so the debit path stays lean): once the
        // client has its answer, the recharge is already on its way.
        if (result.status === "created" && result.rechargeDue) {
          await startRecharge({ temporal: deps.temporal, logger: deps.logger, config: { temporal: { taskQueue: deps.taskQueue } } }, accountId);
        }
        send(res, result.status === "created" ? 201 : 200, body);
      }
    }
  }

  async function handle(req: IncomingMessage, res: ServerResponse) {
    const path = (req.url ?? "/").split("?")[0];
    const route = routes[path];
    if (!route) return fail(res, 404, "not_found", `There is no API endpoint ${path.slice(0, 100)}.`);
    if (req.method !== route.method) {
      return fail(res, 405, "method_not_allowed", `${path} accepts ${route.method} only.`, {}, { Allow: route.method });
    }
    // Only failed keys are limited (after they failed): a valid key from a limited address gets through.
    const refuseKey = async (type: "invalid_api_key" | "revoked_api_key" | "expired_api_key", message: string) => {
      const wait = await runtime.failedAttempts.fail(proxyaddr(req, trust));
      if (wait > 0) {
        return fail(
          res,
          429,
          "rate_limited",
          `Too many requests with invalid API keys from this address. Try again in ${wait} seconds.`,
          {},
          { "Retry-After": String(wait) },
        );
      }
      return fail(res, 401, type, message);
    };
    const bearer = parseBearer(req.headers.authorization);
    if (bearer.kind === "missing") {
      return fail(res, 401, "missing_api_key", "Send your API key as `Authorization: Bearer <key>`.");
    }
    if (bearer.kind === "malformed") {
      return refuseKey("invalid_api_key", "The API key is not valid. Keys look like tgp_v1_ followed by 43 characters.");
    }
    const verdict = await runtime.verifier.verify(bearer.key);
    if (!verdict.ok) {
      switch (verdict.reason) {
        case "revoked":
          return refuseKey("revoked_api_key", "This API key was revoked. Use a current key from Settings → API Keys.");
        case "leaked":
          return refuseKey(
            "revoked_api_key",
            "This API key was revoked because it was found in public (a secret scanner reported it). Use a new key from Settings → API Keys.",
          );
        case "expired":
          return refuseKey("expired_api_key", `This API key expired at ${verdict.expiredAt}. Use a current key from Settings → API Keys.`);
        case "invalid":
          return refuseKey("invalid_api_key", "The API key is not valid.");
      }
    }
    const account = await runtime.accounts.get(verdict.accountId);
    if (!account || account.status === "deleting" || account.status === "deleted") {
      return fail(res, 401, "revoked_api_key", "This API key's account was deleted.");
    }
    if (account.status === "blocked") {
      return fail(res, 403, "account_blocked", "This account is blocked. Contact support.");
    }
    runtime.lastUsed.touch(verdict.keyId);
    await route.run(req, res, account, verdict.keyId);
  }

  return (req, res) => {
    handle(req, res).catch((err) => {
      deps.logger.error({ err: err instanceof Error ? err.message : String(err), path: (req.url ?? "").slice(0, 100) }, "api request failed");
      if (!res.headersSent) fail(res, 503, "unavailable", "The service could not complete this request. Retry with the same idempotency_key.");
      else res.end();
    });
  };
}

/** The body's bytes, or null past the size limit. */
function readBody(req: IncomingMessage): Promise<Buffer | null> {
  return new Promise((resolve, reject) => {
    const declared = Number(req.headers["content-length"] ?? 0);
    if (declared > MAX_BODY) {
      req.resume();
      return resolve(null);
    }
    const chunks: Buffer[] = [];
    let size = 0;
    req.on("data", (c: Buffer) => {
      size += c.length;
      if (size > MAX_BODY) {
        req.removeAllListeners("data");
        req.resume();
        resolve(null);
      } else chunks.push(c);
    });
    req.on("end", () => resolve(Buffer.concat(chunks)));
    req.on("error", reject);
  });
}
