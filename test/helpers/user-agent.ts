/**
 * A browser without a browser: a cookie jar, manual redirects, and the steps a
 * person takes to sign in through the local OAuth stand-in. Lets integration
 * tests walk the real redirect dance over HTTP.
 */
export interface Hop {
  status: number;
  location: string | null;
  body: string;
  url: string;
}

export class UserAgent {
  private cookies = new Map<string, string>(); // "host|name" -> value

  constructor(readonly appUrl: string) {}

  /** The Cookie header this agent would send to `url` (for a plain fetch that needs response headers). */
  cookieHeader(url: URL | string): string {
    url = new URL(url, this.appUrl);
    return [...this.cookies]
      .filter(([k]) => k.startsWith(`${url.host}|`))
      .map(([k, v]) => `${k.split("|")[1]}=${v}`)
      .join("; ");
  }

  private store(url: URL, res: Response) {
    for (const raw of res.headers.getSetCookie()) {
      const [pair, ...attrs] = raw.split(";");
      const eq = pair.indexOf("=");
      const name = pair.slice(0, eq).trim();
      const value = pair.slice(eq + 1).trim();
      const expired = attrs.some((a) => /^\s*max-age=0\s*$/i.test(a)) || value === "";
      if (expired) this.cookies.delete(`${url.host}|${name}`);
      else this.cookies.set(`${url.host}|${name}`, value);
    }
  }

  hasCookie(name: string): boolean {
    return [...this.cookies.keys()].some((k) => k.endsWith(`|${name}`));
  }

  /** One request, no redirect following. */
  async request(target: string, init: { method?: string; form?: Record<string, string>; headers?: Record<string, string> } = {}): Promise<Hop> {
    const url = new URL(target, this.appUrl);
    const headers: Record<string, string> = { ...init.headers };
    const cookie = this.cookieHeader(url);
    if (cookie) headers.Cookie = cookie;
    let body: string | undefined;
    if (init.form) {
      headers["Content-Type"] = "application/x-www-form-urlencoded";
      body = new URLSearchParams(init.form).toString();
    }
    const res = await fetch(url, { method: init.method ?? (init.form ? "POST" : "GET"), headers, body, redirect: "manual" });
    this.store(url, res);
    const location = res.headers.get("location");
    return { status: res.status, location: location ? new URL(location, url).toString() : null, body: await res.text(), url: url.toString() };
  }

  /** Follows redirects (GET) until a non-redirect answer. */
  async follow(hop: Hop, max = 10): Promise<Hop> {
    let current = hop;
    for (let i = 0; i < max && current.location && current.status >= 300 && current.status < 400; i++) {
      current = await this.request(current.location);
    }
    return current;
  }

  async get(target: string): Promise<Hop> {
    return this.follow(await this.request(target));
  }

  /** The CSRF token a page embedded in its forms. */
  static csrfFrom(html: string): string {
    const m = /name="csrf" value="([^"]+)"/.exec(html);
    if (!m) throw new Error("no CSRF token in page");
    return m[1];
  }

  /** Posts a form found on `page`, with that page's CSRF token. */
  async submit(page: string, action: string, fields: Record<string, string> = {}): Promise<Hop> {
    const html = (await this.get(page)).body;
    return this.request(action, { form: { csrf: UserAgent.csrfFrom(html), ...fields } });
  }

  /**
   * Clicks "Sign in with <provider>" and, at the stand-in, picks the identity.
   * Returns the final page after all redirects.
   */
  async signIn(provider: "google" | "github", who: { email: string; name?: string; verified?: boolean }, next?: string): Promise<Hop> {
    const loginPage = next ? `/login?next=${encodeURIComponent(next)}` : "/login";
    const start = await this.submit(loginPage, `/auth/${provider}${next ? `?next=${encodeURIComponent(next)}` : ""}`);
    if (start.status !== 302 || !start.location) throw new Error(`sign-in start answered ${start.status}: ${start.body.slice(0, 200)}`);
    const authorize = new URL(start.location);
    const picker = await this.request(authorize.toString());
    if (picker.status !== 200) throw new Error(`stand-in picker answered ${picker.status}`);
    // The picker's form re-posts the authorize parameters as hidden fields.
    const hidden = Object.fromEntries([...picker.body.matchAll(/<input type="hidden" name="([^"]+)" value="([^"]*)">/g)].map((m) => [m[1], decode(m[2])]));
    const chosen = await this.request(authorize.origin + authorize.pathname, {
      form: {
        ...hidden,
        choice: "custom",
        email: who.email,
        name: who.name ?? who.email.split("@")[0],
        ...(who.verified === false ? {} : { email_verified: "true" }),
      },
    });
    return this.follow(chosen);
  }
}

function decode(s: string): string {
  return s
    .replace(/&quot;/g, '"')
    .replace(/&#39;/g, "'")
    .replace(/&lt;/g, "<")
    .replace(/&gt;/g, ">")
    .replace(/&amp;/g, "&");
}

/** A page's visible text: tags and scripts dropped, common entities decoded, white space folded. */
export function pageText(html: string): string {
  return html
    .replace(/<script[\s\S]*?<\/script>/g, " ")
    .replace(/<[^>]+>/g, " ")
    .replace(/&#x27;|&#39;/g, "'")
    .replace(/&quot;/g, '"')
    .replace(/&amp;/g, "&")
    .replace(/\s+/g, " ");
}
