/**
 * The one place that reads the environment. Every variable is read once,
 * validated with zod, and a bad value stops start-up with a message naming the
 * variable. Defaults give the embedded setup a newcomer gets from `npm start`.
 */
import path from "node:path";
import { z } from "zod";

const bool = z.enum(["true", "false", "1", "0", "yes", "no"]).transform((v) => v === "true" || v === "1" || v === "yes");

const port = z.coerce.number().int().min(1).max(65535);

const emailList = z
  .string()
  .transform((s) =>
    s
      .split(",")
      .map((e) => e.trim().toLowerCase())
      .filter(Boolean),
  )
  .pipe(z.array(z.string().email()));

const secretList = z
  .string()
  .transform((s) =>
    s
      .split(",")
      .map((p) => p.trim())
      .filter(Boolean),
  )
  .pipe(z.array(z.string().min(32, "each secret needs at least 32 characters")).min(1));

// Development defaults; production refuses to start without real ones.
const DEV_SESSION_SECRET = "development-only-session-secret-not-for-production";
const DEV_TOMBSTONE_SECRET = "development-only-tombstone-secret-not-for-production";
const DEV_UNSUBSCRIBE_SECRET = "development-only-unsubscribe-secret-not-for-production";
// Signs the test provider's local checkout webhooks outside `npm start` (which makes a per-install one).
const DEV_WEBHOOK_SECRET = "whsec_development_only_webhook_secret_not_for_production";

/** Where GitHub publishes the keys that sign its secret scanning reports. */
export const GITHUB_SECRET_SCANNING_KEYS_URL = "https://api.github.com/meta/public_keys/secret_scanning";

/** Whole dollars in the environment (limits are set in dollars, kept in cents). */
const dollars = z.coerce
  .number()
  .int()
  .min(1)
  .max(1_000_000)
  .transform((d) => d * 100);
const dollarList = z
  .string()
  .transform((s) =>
    s
      .split(",")
      .map((p) => p.trim())
      .filter(Boolean),
  )
  .pipe(z.array(dollars).max(8));

const EnvSchema = z.object({
  NODE_ENV: z.enum(["development", "production", "test"]).default("development"),
  LOG_LEVEL: z.enum(["fatal", "error", "warn", "info", "debug", "trace", "silent"]).default("info"),
  HOST: z.string().min(1).default("localhost"),
  PORT: port.default(3000),
  PUBLIC_URL: z.string().url().optional(),
  TRUST_PROXY: z.string().min(1).optional(),
  DATA_DIR: z.string().min(1).default(".data"),

  DATABASE_URL: z.string().url().optional(),
  EMBEDDED_PG_PORT: port.refine((p) => p !== 5432, "5432 belongs to the machine's own PostgreSQL; pick another port").default(55432),

  TEMPORAL_ADDRESS: z.string().min(1).optional(),
  TEMPORAL_NAMESPACE: z.string().min(1).default("default"),
  TEMPORAL_TASK_QUEUE: z.string().min(1).default("switchboard"),
  TEMPORAL_API_KEY: z.string().min(1).optional(),
  TEMPORAL_TLS: bool.default("false"),
  TEMPORAL_CLI_PATH: z.string().min(1).optional(),
  TEMPORAL_DEV_PORT: port.default(7233),
  TEMPORAL_UI_PORT: port.default(8233),
  TEMPORAL_UI_URL: z.string().url().optional(),
  WORKFLOW_BUNDLE: z.string().min(1).optional(),

  SESSION_SECRET: secretList.optional(),
  TOMBSTONE_SECRET: z.string().min(32, "needs at least 32 characters").optional(),
  LIST_UNSUBSCRIBE_SECRET: secretList.optional(),
  SESSION_TTL_HOURS: z.coerce
    .number()
    .int()
    .min(1)
    .max(24 * 90)
    .default(24 * 14),
  CUSTOMER_IDLE_TIMEOUT_HOURS: z.coerce
    .number()
    .int()
    .min(1)
    .max(24 * 90)
    .default(24),
  STAFF_IDLE_TIMEOUT_MINUTES: z.coerce
    .number()
    .int()
    .min(1)
    .max(24 * 60)
    .default(30),
  STAFF_STEP_UP_MINUTES: z.coerce
    .number()
    .int()
    .min(1)
    .max(24 * 60)
    .default(10),
  ALLOW_DEV_SECRETS: bool.default("false"),

  GOOGLE_CLIENT_ID: z.string().min(1).optional(),
  GOOGLE_CLIENT_SECRET: z.string().min(1).optional(),
  GITHUB_CLIENT_ID: z.string().min(1).optional(),
  GITHUB_CLIENT_SECRET: z.string().min(1).optional(),
  LOCAL_OAUTH_URL: z.string().url().optional(),
  LOCAL_OAUTH_PORT: port.default(4010),

  STAFF_ADMINS: emailList.default(""),
  TRANSFER_CONFIRM_HOURS: z.coerce
    .number()
    .positive()
    .max(24 * 30)
    .default(24 * 7),
  TRANSFER_SECOND_APPROVER_ABOVE_CENTS: z.coerce.number().int().min(0).default(100_000),
  INBOUND_EMAIL_SECRET: z.string().min(32, "needs at least 32 characters").optional(),
  SEED_DEMO: bool.default("true"),
  INVITATIONS_PER_ACCOUNT_PER_HOUR: z.coerce.number().int().min(1).max(10_000).default(20),
  INVITATION_MAILS_PER_RECIPIENT_PER_DAY: z.coerce.number().int().min(1).max(1000).default(3),
  BACKGROUND_PRIORITY: z.enum(["low", "normal"]).default("low"),
  WORKER_MAX_CONCURRENT_ACTIVITIES: z.coerce.number().int().min(1).max(1000).default(20),
  WORKER_MAX_CONCURRENT_WORKFLOW_TASKS: z.coerce.number().int().min(2).max(1000).default(10),
  SMTP_URL: z
    .string()
    .url()
    .refine((u) => /^smtps?:\/\//.test(u), "must be smtp:// or smtps://")
    .optional(),
  MAIL_FROM: z.string().min(3).default("Switchboard <no-reply@switchboard.test>"),
  MAIL_BODY_RETENTION_DAYS: z.coerce.number().int().min(1).max(3650).default(30),
  MAILING_PROVIDER_URL: z.string().url().optional(),
  MAILING_PROVIDER_TOKEN: z.string().min(1).optional(),
  PAYMENT_PROVIDER: z.enum(["stripe", "test"]).optional(),
  STRIPE_SECRET_KEY: z
    .string()
    .regex(/^(sk|rk)_(test|live)_/, "must be a Stripe secret key (sk_live_…, sk_test_… or a restricted rk_…)")
    .optional(),
  STRIPE_WEBHOOK_SECRET: z
    .string()
    .regex(/^whsec_/, "must be the endpoint's signing secret (whsec_…)")
    .optional(),
  STRIPE_API_BASE: z.string().url().optional(),
  LOCAL_CHECKOUT_URL: z.string().url().optional(),
  LOCAL_CHECKOUT_PORT: port.default(4030),
  CREDIT_PURCHASE_MIN_DOLLARS: dollars.default(5),
  CREDIT_PURCHASE_MAX_DOLLARS: dollars.default(5000),
  CREDIT_PURCHASE_PRESETS_DOLLARS: dollarList.default("10,50,100,500"),
  RECHARGE_MAX_DOLLARS: dollars.default(1000),
  RECHARGE_DAILY_MAX_DOLLARS: dollars.default(5000),
  SECRET_SCANNING_KEYS_URL: z
    .string()
    .url()
    .refine((u) => /^https?:\/\//.test(u), "must be an http:// or https:// URL")
    .default(GITHUB_SECRET_SCANNING_KEYS_URL),
  LOCAL_SECRET_SCANNER_PORT: port.default(4040),
  // Group commit of /v1 usage debits (app/api/usage-batcher.server.ts); defaults from BENCHMARKS.md.
  USAGE_BATCH_MAX_DEBITS: z.coerce.number().int().min(1).max(10_000).default(256),
  USAGE_BATCH_MAX_WAIT_MS: z.coerce.number().min(0).max(1000).default(2),
  // One batch at a time per process measured best (BENCHMARKS.md, settings sweep): batches wait on each other's row
  // locks and on PostgreSQL's commit-time NOTIFY lock anyway, so a second one in flight mostly splits what would be one.
  USAGE_BATCH_CONCURRENCY: z.coerce.number().int().min(1).max(64).default(1),
  // Prometheus scrape endpoints: off unless set, and never on the public port.
  METRICS_HOST: z.string().min(1).default("127.0.0.1"),
  METRICS_PORT: port.optional(),
  WORKER_METRICS_PORT: port.optional(),
  OTEL_EXPORTER_OTLP_ENDPOINT: z.string().url().optional(),
  OTEL_SERVICE_NAME: z.string().min(1).optional(),
  PATH: z.string().optional(),
});

export type Env = z.infer<typeof EnvSchema>;

export interface Config {
  env: Env["NODE_ENV"];
  isProduction: boolean;
  /** Cookies carry Secure in production and whenever the app is served over https. */
  secureCookies: boolean;
  logLevel: Env["LOG_LEVEL"];
  host: string;
  port: number;
  publicUrl: string;
  /** Express "trust proxy": hop count or subnets whose X-Forwarded-For is believed; unset = none. */
  trustProxy: number | string | undefined;
  dataDir: string;
  database: { url: string | undefined; embeddedPort: number };
  temporal: {
    address: string | undefined;
    namespace: string;
    taskQueue: string;
    apiKey: string | undefined;
    tls: boolean;
    cliPath: string | undefined;
    devPort: number;
    uiPort: number;
    uiUrl: string | undefined;
    /** The prebuilt workflow bundle a worker runs (`npm run build` writes build/workflow-bundle.js); unset = bundle the source at start. */
    workflowBundle: string | undefined;
  };
  /** `fromEnv` false means the development defaults are in use (npm start swaps in per-install secrets). */
  session: {
    secrets: string[];
    ttlHours: number;
    fromEnv: boolean;
    /** A session unused this long is refused (signed out); staff sessions use the shorter staff limit. */
    customerIdleHours: number;
    staffIdleMinutes: number;
    /** Console actions that move money, delete, change plans, terminate workflows or grant roles need a sign-in this recent. */
    staffStepUpMinutes: number;
  };
  /** Key of the HMAC that keeps a deleted account's email as a tombstone. Never rotate it: old tombstones would stop matching. */
  tombstoneSecret: string;
  tombstoneSecretFromEnv: boolean;
  /** Keys of the signed one-click unsubscribe links: the first signs, all verify (rotation). */
  unsubscribe: { secrets: string[]; fromEnv: boolean };
  /** ALLOW_DEV_SECRETS=1: `npm run web`/`worker` may run on the public built-in secrets (see secretsVerdict). */
  allowDevSecrets: boolean;
  oauth: {
    google: { clientId: string; clientSecret: string } | undefined;
    github: { clientId: string; clientSecret: string } | undefined;
    localUrl: string;
    localPort: number;
  };
  staffAdmins: string[];
  transfer: { confirmWithinMs: number; secondApproverAboveCents: number };
  /** HMAC key of /hooks/inbound-email; without it the hook refuses everything. */
  inboundEmailSecret: string | undefined;
  seedDemo: boolean;
  /** Invitation mails (new and resent), shared by every web process (app/models/invitations.server.ts). */
  invitationLimits: { perAccountPerHour: number; perRecipientPerDay: number };
  /** `npm start` runs the worker and the Temporal dev server below the web ("low", see server/background-priority.ts) or beside it. */
  backgroundPriority: "low" | "normal";
  /** How much one worker process runs at once (server/worker.ts). */
  worker: { maxConcurrentActivities: number; maxConcurrentWorkflowTasks: number };
  smtpUrl: string | undefined;
  mailFrom: string;
  /** Days a delivered (or kept, or failed) mail keeps its body; the worker then purges it (app/mail/retention.server.ts). */
  mailBodyRetentionDays: number;
  /** The external mailing-list provider the lists are mirrored to; without it the database is the list. */
  mailingProvider: { url: string; token: string | undefined } | undefined;
  /**
   * Who takes payments. "stripe": the Stripe API (STRIPE_API_BASE points the SDK at stripe-mock in tests);
   * "test": the shipped test provider and its local checkout page, refused in production.
   */
  payments: {
    provider: "stripe" | "test";
    stripe: { secretKey: string; apiBase: string | undefined } | undefined;
    /** Verifies /hooks/stripe (and signs the local checkout's webhooks under the test provider). */
    webhookSecret: string;
    webhookSecretFromEnv: boolean;
    localCheckoutUrl: string;
    localCheckoutPort: number;
    /** Add credits: the amounts the form accepts and offers, in cents. */
    purchase: { minCents: number; maxCents: number; presetsCents: number[] };
    /** Defaults of the per-account caps on auto-recharge (support may set others per account). */
    rechargeLimits: { perRechargeCents: number; perDayCents: number };
  };
  /**
   * POST /hooks/secret-scanning (GitHub's secret scanning partner protocol): the public keys that sign
   * reports are fetched from keysUrl (GitHub's, or the local stand-in's, in the same shape).
   */
  secretScanning: {
    keysUrl: string;
    /** Set in the environment (not GitHub's default): then `npm start` runs no local stand-in. */
    keysUrlFromEnv: boolean;
    /** The local stand-in's port (`npm start` only). */
    localScannerPort: number;
  };
  /** The executable search path, for finding the Temporal CLI. */
  /**
   * Group commit of /v1 usage debits: a batch closes after maxDebits, or at once when nothing is in flight; with a
   * transaction slot free while others run (concurrency > 1), maxWaitMs after its first debit. At most `concurrency`
   * batch transactions at once per process.
   */
  usageBatch: { maxDebits: number; maxWaitMs: number; concurrency: number };
  /** Prometheus endpoints (`GET /metrics`), each off unless its port is set. */
  metrics: { host: string; webPort: number | undefined; workerPort: number | undefined };
  /** OpenTelemetry traces, off unless the OTLP endpoint is set. */
  otel: { endpoint: string | undefined; serviceName: string | undefined };
  systemPath: string | undefined;
}

export class ConfigError extends Error {}

function pair(id: string | undefined, secret: string | undefined, name: string) {
  if (!id && !secret) return undefined;
  if (!id || !secret) {
    throw new ConfigError(`${name}_CLIENT_ID and ${name}_CLIENT_SECRET must be set together`);
  }
  return { clientId: id, clientSecret: secret };
}

/** Parses an environment; exported for tests, which never touch process.env. */
export function parseConfig(source: Record<string, string | undefined>): Config {
  const cleaned = Object.fromEntries(Object.entries(source).filter(([, v]) => v !== undefined && v !== ""));
  const result = EnvSchema.safeParse(cleaned);
  if (!result.success) {
    const lines = result.error.issues.map((i) => `  ${i.path.join(".")}: ${i.message}`);
    throw new ConfigError(`Invalid configuration:\n${lines.join("\n")}`);
  }
  const e = result.data;
  const isProduction = e.NODE_ENV === "production";
  const google = pair(e.GOOGLE_CLIENT_ID, e.GOOGLE_CLIENT_SECRET, "GOOGLE");
  const github = pair(e.GITHUB_CLIENT_ID, e.GITHUB_CLIENT_SECRET, "GITHUB");
  if (isProduction) {
    if (!e.SESSION_SECRET) throw new ConfigError("SESSION_SECRET is required when NODE_ENV=production");
    if (!e.TOMBSTONE_SECRET) throw new ConfigError("TOMBSTONE_SECRET is required when NODE_ENV=production");
    if (!e.LIST_UNSUBSCRIBE_SECRET) throw new ConfigError("LIST_UNSUBSCRIBE_SECRET is required when NODE_ENV=production");
    if (!google || !github) {
      throw new ConfigError(
        "GOOGLE_CLIENT_ID/SECRET and GITHUB_CLIENT_ID/SECRET are required when NODE_ENV=production (the local OAuth stand-in is for development only)",
      );
    }
  }
  const provider = e.PAYMENT_PROVIDER ?? (e.STRIPE_SECRET_KEY ? "stripe" : "test");
  if (provider === "test" && isProduction) {
    throw new ConfigError(
      "PAYMENT_PROVIDER=test is refused when NODE_ENV=production (its test cards approve anything): set PAYMENT_PROVIDER=stripe with STRIPE_SECRET_KEY and STRIPE_WEBHOOK_SECRET",
    );
  }
  if (provider === "stripe" && (!e.STRIPE_SECRET_KEY || !e.STRIPE_WEBHOOK_SECRET)) {
    throw new ConfigError("PAYMENT_PROVIDER=stripe needs STRIPE_SECRET_KEY and STRIPE_WEBHOOK_SECRET (the webhook endpoint's signing secret)");
  }
  if (e.CREDIT_PURCHASE_MIN_DOLLARS > e.CREDIT_PURCHASE_MAX_DOLLARS) {
    throw new ConfigError("CREDIT_PURCHASE_MIN_DOLLARS must not be above CREDIT_PURCHASE_MAX_DOLLARS");
  }
  // Whoever can answer for the keys URL can sign reports that revoke any key: never over plain http in production.
  if (isProduction && !e.SECRET_SCANNING_KEYS_URL.startsWith("https://")) {
    throw new ConfigError("SECRET_SCANNING_KEYS_URL must be an https:// URL when NODE_ENV=production (the keys it serves decide which reports revoke keys)");
  }
  const publicUrl = (e.PUBLIC_URL ?? `http://${e.HOST}:${e.PORT}`).replace(/\/$/, "");
  return {
    env: e.NODE_ENV,
    isProduction,
    secureCookies: isProduction || publicUrl.startsWith("https://"),
    logLevel: e.LOG_LEVEL,
    host: e.HOST,
    port: e.PORT,
    publicUrl,
    trustProxy: e.TRUST_PROXY === undefined ? undefined : /^\d+$/.test(e.TRUST_PROXY) ? Number(e.TRUST_PROXY) : e.TRUST_PROXY,
    dataDir: path.resolve(e.DATA_DIR),
    database: { url: e.DATABASE_URL, embeddedPort: e.EMBEDDED_PG_PORT },
    temporal: {
      address: e.TEMPORAL_ADDRESS,
      namespace: e.TEMPORAL_NAMESPACE,
      taskQueue: e.TEMPORAL_TASK_QUEUE,
      apiKey: e.TEMPORAL_API_KEY,
      tls: e.TEMPORAL_TLS,
      cliPath: e.TEMPORAL_CLI_PATH,
      devPort: e.TEMPORAL_DEV_PORT,
      uiPort: e.TEMPORAL_UI_PORT,
      uiUrl: e.TEMPORAL_UI_URL,
      workflowBundle: e.WORKFLOW_BUNDLE,
    },
    session: {
      secrets: e.SESSION_SECRET ?? [DEV_SESSION_SECRET],
      ttlHours: e.SESSION_TTL_HOURS,
      fromEnv: !!e.SESSION_SECRET,
      customerIdleHours: e.CUSTOMER_IDLE_TIMEOUT_HOURS,
      staffIdleMinutes: e.STAFF_IDLE_TIMEOUT_MINUTES,
      staffStepUpMinutes: e.STAFF_STEP_UP_MINUTES,
    },
    tombstoneSecret: e.TOMBSTONE_SECRET ?? DEV_TOMBSTONE_SECRET,
    tombstoneSecretFromEnv: !!e.TOMBSTONE_SECRET,
    unsubscribe: { secrets: e.LIST_UNSUBSCRIBE_SECRET ?? [DEV_UNSUBSCRIBE_SECRET], fromEnv: !!e.LIST_UNSUBSCRIBE_SECRET },
    allowDevSecrets: e.ALLOW_DEV_SECRETS,
    oauth: {
      google,
      github,
      localUrl: (e.LOCAL_OAUTH_URL ?? `http://localhost:${e.LOCAL_OAUTH_PORT}`).replace(/\/$/, ""),
      localPort: e.LOCAL_OAUTH_PORT,
    },
    staffAdmins: e.STAFF_ADMINS,
    transfer: { confirmWithinMs: Math.round(e.TRANSFER_CONFIRM_HOURS * 3600_000), secondApproverAboveCents: e.TRANSFER_SECOND_APPROVER_ABOVE_CENTS },
    inboundEmailSecret: e.INBOUND_EMAIL_SECRET,
    seedDemo: e.SEED_DEMO,
    invitationLimits: { perAccountPerHour: e.INVITATIONS_PER_ACCOUNT_PER_HOUR, perRecipientPerDay: e.INVITATION_MAILS_PER_RECIPIENT_PER_DAY },
    backgroundPriority: e.BACKGROUND_PRIORITY,
    worker: { maxConcurrentActivities: e.WORKER_MAX_CONCURRENT_ACTIVITIES, maxConcurrentWorkflowTasks: e.WORKER_MAX_CONCURRENT_WORKFLOW_TASKS },
    smtpUrl: e.SMTP_URL,
    mailFrom: e.MAIL_FROM,
    mailBodyRetentionDays: e.MAIL_BODY_RETENTION_DAYS,
    mailingProvider: e.MAILING_PROVIDER_URL ? { url: e.MAILING_PROVIDER_URL.replace(/\/$/, ""), token: e.MAILING_PROVIDER_TOKEN } : undefined,
    payments: {
      provider,
      stripe: provider === "stripe" ? { secretKey: e.STRIPE_SECRET_KEY!, apiBase: e.STRIPE_API_BASE } : undefined,
      webhookSecret: e.STRIPE_WEBHOOK_SECRET ?? DEV_WEBHOOK_SECRET,
      webhookSecretFromEnv: !!e.STRIPE_WEBHOOK_SECRET,
      localCheckoutUrl: (e.LOCAL_CHECKOUT_URL ?? `http://localhost:${e.LOCAL_CHECKOUT_PORT}`).replace(/\/$/, ""),
      localCheckoutPort: e.LOCAL_CHECKOUT_PORT,
      purchase: {
        minCents: e.CREDIT_PURCHASE_MIN_DOLLARS,
        maxCents: e.CREDIT_PURCHASE_MAX_DOLLARS,
        presetsCents: e.CREDIT_PURCHASE_PRESETS_DOLLARS.filter((c) => c >= e.CREDIT_PURCHASE_MIN_DOLLARS && c <= e.CREDIT_PURCHASE_MAX_DOLLARS),
      },
      rechargeLimits: { perRechargeCents: e.RECHARGE_MAX_DOLLARS, perDayCents: e.RECHARGE_DAILY_MAX_DOLLARS },
    },
    secretScanning: {
      keysUrl: e.SECRET_SCANNING_KEYS_URL,
      keysUrlFromEnv: cleaned.SECRET_SCANNING_KEYS_URL !== undefined,
      localScannerPort: e.LOCAL_SECRET_SCANNER_PORT,
    },
    usageBatch: { maxDebits: e.USAGE_BATCH_MAX_DEBITS, maxWaitMs: e.USAGE_BATCH_MAX_WAIT_MS, concurrency: e.USAGE_BATCH_CONCURRENCY },
    metrics: { host: e.METRICS_HOST, webPort: e.METRICS_PORT, workerPort: e.WORKER_METRICS_PORT },
    otel: { endpoint: e.OTEL_EXPORTER_OTLP_ENDPOINT, serviceName: e.OTEL_SERVICE_NAME },
    systemPath: e.PATH,
  };
}

let cached: Config | undefined;

/** The process's configuration, read from process.env on first use. */
export function config(): Config {
  cached ??= parseConfig(process.env);
  return cached;
}

/**
 * Whether a web or worker process may start on these secrets. The built-in
 * development secrets are in this public repository: with them anyone can sign
 * session cookies, forge unsubscribe links and test emails against tombstones.
 * `npm start` hands its children per-install secrets (server/development-secrets.ts),
 * production requires real ones (parseConfig); `npm run web`/`worker` outside
 * both refuse, unless ALLOW_DEV_SECRETS=1 says on purpose, which is then logged loudly.
 */
export function secretsVerdict(c: Config): { ok: true; warning: string | null } | { ok: false; message: string } {
  const builtIn = [
    c.session.fromEnv ? null : "SESSION_SECRET",
    c.tombstoneSecretFromEnv ? null : "TOMBSTONE_SECRET",
    c.unsubscribe.fromEnv ? null : "LIST_UNSUBSCRIBE_SECRET",
    c.payments.webhookSecretFromEnv ? null : "STRIPE_WEBHOOK_SECRET",
  ].filter((n): n is string => n !== null);
  if (builtIn.length === 0) return { ok: true, warning: null };
  const names = builtIn.join(", ");
  if (c.allowDevSecrets) {
    return {
      ok: true,
      warning: `ALLOW_DEV_SECRETS=1: running on the PUBLIC built-in development secrets for ${names}. Anyone can forge sessions and links against this process. Never do this with real data; set the variables instead.`,
    };
  }
  return {
    ok: false,
    message:
      `Refusing to start: ${names} ${builtIn.length === 1 ? "is" : "are"} not set, and the built-in development values are public.\n` +
      `  Set ${names} (each at least 32 random characters, e.g. \`openssl rand -base64 32\`), or run \`npm start\`, which generates per-install secrets.\n` +
      "  For a throwaway local run only, ALLOW_DEV_SECRETS=1 starts anyway on the public values.",
  };
}

/** For `npm run web`/`worker`: exit with the refusal on stderr, or log the ALLOW_DEV_SECRETS warning. */
export function refuseDevelopmentSecretsOrExit(c: Config, logger: { warn(obj: object, msg: string): void }): void {
  const verdict = secretsVerdict(c);
  if (!verdict.ok) {
    process.stderr.write(`${verdict.message}\n`);
    process.exit(1);
  }
  if (verdict.warning) logger.warn({ allowDevSecrets: true }, verdict.warning);
}

/** For entry points: print a config error plainly and exit instead of a stack trace. */
export function configOrExit(): Config {
  try {
    return config();
  } catch (err) {
    if (err instanceof ConfigError) {
      process.stderr.write(`${err.message}\n`);
      process.exit(1);
    }
    throw err;
  }
}

/** The environment a supervised child process inherits, plus what the supervisor decided. */
export function childProcessEnv(overrides: Record<string, string | undefined>): NodeJS.ProcessEnv {
  return { ...process.env, ...overrides };
}
