/**
 * Keep a page's loader data fresh while it is open (the console's lists, a
 * running workflow, an open ticket): revalidate every `ms` while `enabled`,
 * skipping a tick if a revalidation or a submission is already in flight and
 * while the tab is hidden (nobody is looking; it refreshes on return).
 */
import { useNavigation, useRevalidator } from "@remix-run/react";
import { useEffect } from "react";

export function useAutoRefresh(ms: number, enabled = true) {
  const revalidator = useRevalidator();
  const navigation = useNavigation();
  const busy = revalidator.state !== "idle" || navigation.state !== "idle";
  useEffect(() => {
    if (!enabled) return;
    const tick = () => {
      if (!busy && document.visibilityState === "visible") revalidator.revalidate();
    };
    const timer = setInterval(tick, ms);
    const onVisible = () => document.visibilityState === "visible" && tick();
    document.addEventListener("visibilitychange", onVisible);
    return () => {
      clearInterval(timer);
      document.removeEventListener("visibilitychange", onVisible);
    };
  }, [ms, enabled, busy, revalidator]);
}
