/**
 * Who the fuzzer speaks as: signed-in people of every kind (customers on
 * several plans, a password login that must change its password, staff of each
 * role), nobody, and forged or dead sessions. A persona is a cookie jar (a
 * UserAgent) plus the CSRF token its pages carry; `ensureHealthy` puts one back
 * when a fuzzed request signed it out, blocked its account or removed its staff row.
 */
import { createCookie } from "@remix-run/node";
import type { Db } from "../../../db/connection.js";
import type { StaffRole } from "../../../db/schema.js";
import { UserAgent } from "../../helpers/user-agent.js";

export type PersonaName =
  | "anon"
  | "alice"
  | "bob"
  | "dan"
  | "pwuser"
  | "support"
  | "operator"
  | "admin"
  | "forgedSession"
  | "signedUnknownSession"
  | "signedNonStringSession"
  | "revokedSession"
  | "tamperedSession";

export const REAL_PERSONAS = ["anon", "alice", "bob", "dan", "pwuser", "support", "operator", "admin"] as const;
export const ALL_PERSONAS: readonly PersonaName[] = [
  ...REAL_PERSONAS,
  "forgedSession",
  "signedUnknownSession",
  "signedNonStringSession",
  "revokedSession",
  "tamperedSession",
];

export interface Persona {
  name: PersonaName;
  ua: UserAgent;
  /** Extra cookies (forged ones), sent after the jar's. */
  extraCookie: string;
  /** A page that answers 200 only while this persona is signed in as intended. */
  healthPath: string | null;
  email?: string;
  role?: StaffRole;
  accountId?: string;
  userId?: string;
  password?: { loginId: string; username: string; password: string };
}

/** The CSRF token is the value of the signed sb_csrf cookie (remix-utils double submit). */
export function csrfTokenOf(cookieHeader: string): string | null {
  const m = /(?:^|;\s*)sb_csrf=([^;]+)/.exec(cookieHeader);
  if (!m) return null;
  try {
    const signed = decodeURIComponent(m[1]!);
    const value = signed.slice(0, signed.lastIndexOf("."));
    const token = JSON.parse(decodeURIComponent(escape(Buffer.from(value, "base64").toString("latin1")))) as unknown;
    return typeof token === "string" ? token : null;
  } catch {
    return null;
  }
}

export function cookieOf(p: Persona, appUrl: string): string {
  return [p.ua.cookieHeader(appUrl), p.extraCookie].filter(Boolean).join("; ");
}

export class Personas {
  readonly all = new Map<PersonaName, Persona>();
  private renewals = 0;

  constructor(
    private readonly appUrl: string,
    private readonly db: Db,
    private readonly sessionSecrets: string[],
  ) {}

  get(name: PersonaName): Persona {
    const p = this.all.get(name);
    if (!p) throw new Error(`no persona ${name}`);
    return p;
  }

  /** Signs everyone in (and makes the forged ones from them). */
  private makePasswordLogin: (() => Promise<NonNullable<Persona["password"]>>) | undefined;

  async setUp(input: {
    customers: { name: "alice" | "bob" | "dan"; email: string; provider: "google" | "github" }[];
    passwordAccountId: string;
    /** Creates a (new) password login on passwordAccountId; called again if a fuzzed request removed it. */
    makePasswordLogin: () => Promise<NonNullable<Persona["password"]>>;
  }) {
    this.makePasswordLogin = input.makePasswordLogin;
    const anon = new UserAgent(this.appUrl);
    await anon.get("/login"); // the CSRF cookie
    this.all.set("anon", { name: "anon", ua: anon, extraCookie: "", healthPath: null });

    for (const c of input.customers) {
      const ua = new UserAgent(this.appUrl);
      await ua.signIn(c.provider, { email: c.email });
      const user = await this.db
        .selectFrom("users")
        .innerJoin("memberships", "memberships.user_id", "users.id")
        .select(["users.id", "memberships.account_id"])
        .where("users.email", "=", c.email)
        .where("memberships.role", "=", "owner")
        .executeTakeFirstOrThrow();
      this.all.set(c.name, { name: c.name, ua, extraCookie: "", healthPath: "/settings/profile", email: c.email, accountId: user.account_id, userId: user.id });
    }
    for (const role of ["support", "operator", "admin"] as const) {
      const ua = new UserAgent(this.appUrl);
      await ua.signIn("github", { email: `${role}@switchboard.test` });
      this.all.set(role, { name: role, ua, extraCookie: "", healthPath: "/console", email: `${role}@switchboard.test`, role });
    }
    const pw = new UserAgent(this.appUrl);
    this.all.set("pwuser", {
      name: "pwuser",
      ua: pw,
      extraCookie: "",
      healthPath: "/login/password/change",
      accountId: input.passwordAccountId,
      password: await input.makePasswordLogin(),
    });
    await this.signInWithPassword(this.get("pwuser"));

    // Forged and dead sessions, each with a CSRF cookie of its own (so only the session is wrong).
    const jar = async () => {
      const ua = new UserAgent(this.appUrl);
      await ua.get("/login");
      return ua;
    };
    const signed = createCookie("sb_session", { secrets: this.sessionSecrets, path: "/" });
    const sessionValue = async (value: unknown) => (await signed.serialize(value)).split(";")[0]!;
    this.all.set("forgedSession", { name: "forgedSession", ua: await jar(), extraCookie: "sb_session=eyJmb3JnZWQiOnRydWV9.Zm9yZ2Vk", healthPath: null });
    this.all.set("signedUnknownSession", { name: "signedUnknownSession", ua: await jar(), extraCookie: await sessionValue("x".repeat(43)), healthPath: null });
    this.all.set("signedNonStringSession", {
      name: "signedNonStringSession",
      ua: await jar(),
      extraCookie: await sessionValue({ token: ["a"], admin: true }),
      healthPath: null,
    });
    const alice = this.get("alice");
    const aliceSession = /sb_session=([^;]+)/.exec(alice.ua.cookieHeader(this.appUrl))![1]!;
    const tampered = aliceSession.slice(0, 10) + (aliceSession[10] === "A" ? "B" : "A") + aliceSession.slice(11);
    this.all.set("tamperedSession", { name: "tamperedSession", ua: await jar(), extraCookie: `sb_session=${tampered}`, healthPath: null });
    // Alice signs in again in another browser: the first browser's session is then still alive; end it to get a revoked one.
    const old = new UserAgent(this.appUrl);
    await old.signIn("google", { email: alice.email! });
    const oldSession = /sb_session=([^;]+)/.exec(old.cookieHeader(this.appUrl))![1]!;
    await old.request("/logout", { form: { csrf: csrfTokenOf(old.cookieHeader(this.appUrl))! } });
    const revokedJar = await jar();
    this.all.set("revokedSession", { name: "revokedSession", ua: revokedJar, extraCookie: `sb_session=${oldSession}`, healthPath: null });
  }

  private async signInWithPassword(p: Persona) {
    const { loginId, username, password } = p.password!;
    const page = await p.ua.get("/login/password");
    const csrf = UserAgent.csrfFrom(page.body);
    const hop = await p.ua.request("/login/password", { form: { csrf, account: loginId, username, password } });
    if (hop.status !== 302) throw new Error(`password sign-in answered ${hop.status}: ${hop.body.slice(0, 200)}`);
  }

  /**
   * Checks every real persona and repairs what a fuzzed request undid: staff rows
   * and roles, the account's status, the session. Runs outside any checksum window.
   * Returns the names it had to renew.
   */
  async ensureHealthy(): Promise<string[]> {
    const renewed: string[] = [];
    for (const p of this.all.values()) {
      if (!p.healthPath) continue;
      if (p.role) {
        await this.db
          .insertInto("staff")
          .values({ email: p.email!, role: p.role })
          .onConflict((oc) => oc.column("email").doUpdateSet({ role: p.role! }))
          .execute();
      }
      if (p.accountId) {
        await this.db
          .updateTable("accounts")
          .set({ status: "active", blocked_reason_code: null, blocked_at: null })
          .where("id", "=", p.accountId)
          .where("status", "!=", "active")
          .execute();
      }
      if (p.name === "pwuser") {
        await this.db.updateTable("accounts").set({ password_logins_enabled: true, plan: "scale" }).where("id", "=", p.accountId!).execute();
      }
      if (p.name === "dan") {
        await this.db.updateTable("accounts").set({ plan: "gpu_cluster" }).where("id", "=", p.accountId!).execute();
      }
      const hop = await p.ua.request(p.healthPath);
      if (hop.status === 200) continue;
      renewed.push(`${p.name} (${hop.status} ${hop.location ?? ""})`);
      this.renewals++;
      if (p.name === "pwuser") {
        // The login may have been removed or reset by a fuzzed members action: make a fresh one.
        p.password = await this.makePasswordLogin!();
        // Fuzzed sign-ins may have locked every login from 127.0.0.1 (30 failures per address): unlock.
        await this.db.deleteFrom("rate_limits").execute();
        await this.signInWithPassword(p);
      } else {
        await p.ua.signIn(p.role ? "github" : p.name === "bob" ? "github" : "google", { email: p.email! });
      }
    }
    return renewed;
  }

  get renewalCount() {
    return this.renewals;
  }
}
