/**
 * The console's search from anywhere: a plain GET form to /console/search, so
 * it works without JavaScript; with it, `/` focuses the box from anywhere on
 * the page (as on GitHub), except while typing in a field.
 */
import { Form, useLocation, useSearchParams } from "@remix-run/react";
import { useEffect, useId, useRef, useState } from "react";

/** Where a `/` is text being typed, not a shortcut. */
function isTyping(target: EventTarget | null): boolean {
  if (!(target instanceof HTMLElement)) return false;
  return target.isContentEditable || ["INPUT", "TEXTAREA", "SELECT"].includes(target.tagName);
}

/**
 * Focuses the first search box that can be seen; when every one is inside a
 * closed menu (the collapsed top bar at phone width), opens that menu first.
 */
function focusSearch(): boolean {
  const boxes = [...document.querySelectorAll<HTMLInputElement>("input[data-console-search]")];
  const box = boxes.find((b) => b.getClientRects().length > 0) ?? boxes[0];
  if (!box) return false;
  const menu = box.closest("details");
  if (menu && !menu.open) menu.open = true;
  box.focus();
  box.select();
  return true;
}

/** Any number may be on a page (the top bar's, the results page's): `/` focuses the first one that shows. */
export function ConsoleSearchBox() {
  const id = useId();
  const { pathname } = useLocation();
  const [params] = useSearchParams();
  // On the results page the box shows what was searched for.
  const current = pathname === "/console/search" ? (params.get("q") ?? "").slice(0, 200) : "";
  const ref = useRef<HTMLInputElement>(null);
  // The shortcut is offered only once the script that serves it runs.
  const [scripted, setScripted] = useState(false);

  useEffect(() => {
    setScripted(true);
    const onKey = (e: KeyboardEvent) => {
      if (e.key !== "/" || e.defaultPrevented || e.ctrlKey || e.metaKey || e.altKey || isTyping(e.target)) return;
      // Keep the "/" out of the box it is about to focus.
      if (focusSearch()) e.preventDefault();
    };
    document.addEventListener("keydown", onKey);
    return () => document.removeEventListener("keydown", onKey);
  }, []);

  // A new search (or leaving the results) shows its own term, not the last one typed.
  useEffect(() => {
    if (ref.current && document.activeElement !== ref.current) ref.current.value = current;
  }, [current]);

  return (
    <Form method="get" action="/console/search" role="search" className="console-search">
      <label htmlFor={id} className="sr-only">
        Search accounts, tickets and workflows
      </label>
      <input
        ref={ref}
        id={id}
        name="q"
        type="search"
        defaultValue={current}
        placeholder={scripted ? "Search (press /)" : "Search"}
        aria-keyshortcuts={scripted ? "/" : undefined}
        autoComplete="off"
        spellCheck={false}
        maxLength={200}
        data-console-search=""
      />
      <button type="submit" className="btn">
        Search
      </button>
    </Form>
  );
}
