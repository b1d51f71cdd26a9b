/** The small shared pieces every page uses. */
import { Form, Link } from "@remix-run/react";
import { AuthenticityTokenInput } from "remix-utils/csrf/react";

export function Badge({ value }: { value: string }) {
  return <span className={`badge ${value}`}>{value.replace(/_/g, " ")}</span>;
}

/** Dates in UTC, the same on server and client (no hydration mismatch). */
export function When({ at }: { at: string | Date | null | undefined }) {
  if (!at) return <span className="muted">—</span>;
  const d = new Date(at);
  return <time dateTime={d.toISOString()}>{d.toISOString().slice(0, 16).replace("T", " ")} UTC</time>;
}

export function Alert({ kind, lines }: { kind: "error" | "ok" | "info"; lines: string[] }) {
  return (
    <div className={`alert ${kind}`} role={kind === "error" ? "alert" : "status"}>
      {lines.map((l) => (
        <p key={l}>{l}</p>
      ))}
    </div>
  );
}

export function SignOutButton() {
  return (
    <Form method="post" action="/logout" className="inline">
      <AuthenticityTokenInput />
      <button type="submit" className="btn">
        Sign out
      </button>
    </Form>
  );
}

export function TopBar({ links, who }: { links: { to: string; label: string }[]; who?: string | null }) {
  return (
    <header className="topbar">
      <Link to="/" className="brand">
        Switchboard
      </Link>
      <nav aria-label="Main">
        {links.map((l) => (
          <Link key={l.to} to={l.to}>
            {l.label}
          </Link>
        ))}
      </nav>
      {who ? <span className="who">{who}</span> : null}
      {who ? <SignOutButton /> : null}
    </header>
  );
}

export function EmptyState({ children }: { children: React.ReactNode }) {
  return <div className="empty">{children}</div>;
}
