/** The small shared pieces every page uses. */
import { Form, Link, useLocation } from "@remix-run/react";
import { useEffect, useRef } from "react";
import { BRAND_ICON } from "./brand.js";
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

export type TopBarLink = {
  to: string;
  label: string;
  /** The paths this link stands for, when more than its own ("Settings" → every /settings page). */
  section?: string;
};

/** A signed-in customer's top bar: the same three places on every customer page. */
export function customerLinks(isStaff: boolean): TopBarLink[] {
  return [
    { to: "/", label: "Home" },
    { to: "/settings/profile", label: "Settings", section: "/settings" },
    ...(isStaff ? [{ to: "/console", label: "Console" }] : []),
  ];
}

function isCurrent(pathname: string, l: TopBarLink) {
  const base = l.section ?? l.to;
  if (base === "/" || base === "/console") return pathname === base || pathname === `${base}/`;
  return pathname === base || pathname.startsWith(`${base}/`);
}

/**
 * The bar at the top of every page. Wide screens get the links in a row; below
 * 800 px (a phone, or a laptop at 200 % zoom) they collapse into a "Menu"
 * disclosure — a <details>, so it opens without JavaScript. Only one of the two
 * is displayed at a time (the other is display:none, so screen readers meet the
 * links once). The current page's link carries aria-current="page".
 */
export function TopBar({
  links,
  who,
  search,
  contentTarget = true,
}: {
  links: TopBarLink[];
  who?: string | null;
  /** The console's search box. */
  search?: React.ReactNode;
  /** Render the skip link's target right after the bar; layouts that place it themselves pass false. */
  contentTarget?: boolean;
}) {
  const { pathname } = useLocation();
  const menuRef = useRef<HTMLDetailsElement>(null);
  // A navigation from the open menu closes it.
  useEffect(() => {
    if (menuRef.current) menuRef.current.open = false;
  }, [pathname]);
  const items = links.map((l) => {
    const current = isCurrent(pathname, l);
    return (
      <Link key={l.to} to={l.to} aria-current={current ? "page" : undefined}>
        {l.label}
      </Link>
    );
  });
  return (
    <>
      <a className="skip-link" href="#content">
        Skip to content
      </a>
      {/* "many": a bar with more links than fit beside a search box collapses earlier (app.css). */}
      <header className={links.length > 5 ? "topbar many" : "topbar"}>
        <Link to="/" className="brand">
          <img src={BRAND_ICON} alt="" width={20} height={20} />
          Switchboard
        </Link>
        {items.length > 0 ? (
          <nav aria-label="Main" className="topbar-links">
            {items}
          </nav>
        ) : (
          <span className="topbar-spacer" />
        )}
        {search ? <div className="topbar-search">{search}</div> : null}
        {who ? (
          <span className="who topbar-wide" title={who}>
            {who}
          </span>
        ) : null}
        {who ? (
          <span className="topbar-wide">
            <SignOutButton />
          </span>
        ) : null}
        {items.length > 0 || who ? (
          <details
            className="topbar-menu"
            ref={menuRef}
            onKeyDown={(e) => {
              if (e.key === "Escape" && menuRef.current?.open) {
                menuRef.current.open = false;
                menuRef.current.querySelector("summary")?.focus();
              }
            }}
          >
            <summary className="btn">Menu</summary>
            <div className="topbar-menu-panel">
              {items.length > 0 ? <nav aria-label="Main">{items}</nav> : null}
              {who ? <p className="who">{who}</p> : null}
              {who ? <SignOutButton /> : null}
            </div>
          </details>
        ) : null}
      </header>
      {contentTarget ? <span id="content" tabIndex={-1} className="skip-target" /> : null}
    </>
  );
}

export function EmptyState({ children }: { children: React.ReactNode }) {
  return <div className="empty">{children}</div>;
}
