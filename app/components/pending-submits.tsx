/**
 * Every form shows that it is working and cannot be sent twice: once a POST
 * form is submitted, its buttons are disabled and the one pressed reads as
 * busy until the navigation or fetcher that carries it has finished. One
 * listener for the whole app instead of a pending prop on every button.
 *
 * GET forms (searches, filters) are left alone: sending one again is harmless.
 * Without JavaScript the browser's own navigation is the pending state.
 */
import { useFetchers, useNavigation } from "@remix-run/react";
import { useEffect, useRef } from "react";

const BUSY = "data-pending";

function release() {
  for (const el of document.querySelectorAll<HTMLButtonElement | HTMLInputElement>(`[${BUSY}]`)) {
    el.disabled = el.getAttribute(BUSY) === "was-disabled";
    el.removeAttribute(BUSY);
    el.removeAttribute("aria-busy");
  }
  for (const form of document.querySelectorAll("form[aria-busy]")) form.removeAttribute("aria-busy");
}

export function PendingSubmits() {
  const navigation = useNavigation();
  const fetchers = useFetchers();
  const idle = navigation.state === "idle" && fetchers.every((f) => f.state === "idle");
  const sawBusy = useRef(false);

  useEffect(() => {
    const onSubmit = (event: SubmitEvent) => {
      const form = event.target;
      if (!(form instanceof HTMLFormElement) || form.method.toLowerCase() !== "post") return;
      // Not prevented by Remix: a native submission (reloadDocument), and the page is about to be replaced.
      const native = !event.defaultPrevented;
      const submitter = event.submitter as HTMLButtonElement | HTMLInputElement | null;
      // After this task: Remix has already read the form (and the pressed button's name/value) synchronously.
      setTimeout(() => {
        form.setAttribute("aria-busy", "true");
        for (const button of form.querySelectorAll<HTMLButtonElement | HTMLInputElement>(
          'button:not([type="button"]):not([type="reset"]), input[type="submit"]',
        )) {
          if (button.hasAttribute(BUSY)) continue;
          button.setAttribute(BUSY, button.disabled ? "was-disabled" : "");
          button.disabled = true;
        }
        submitter?.setAttribute("aria-busy", "true");
        // A submission that started no navigation (cancelled by the page) must not leave the form stuck.
        if (!native) {
          setTimeout(() => {
            if (!sawBusy.current) release();
          }, 1000);
        }
      }, 0);
    };
    // Back/forward cache: a page restored after a native submission gets its buttons back.
    const onPageShow = (e: PageTransitionEvent) => e.persisted && release();
    window.addEventListener("submit", onSubmit);
    window.addEventListener("pageshow", onPageShow);
    return () => {
      window.removeEventListener("submit", onSubmit);
      window.removeEventListener("pageshow", onPageShow);
    };
  }, []);

  useEffect(() => {
    if (!idle) sawBusy.current = true;
    else if (sawBusy.current) {
      sawBusy.current = false;
      release();
    }
  }, [idle]);

  return null;
}
