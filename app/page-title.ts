/**
 * Every tab's title: the page first, then the area, then the product, so staff
 * with many tabs open can tell them apart ("Ticket 3f2a… · Console · Switchboard").
 */
import type { MetaDescriptor } from "@remix-run/node";

export function pageTitle(...parts: (string | null | undefined | false)[]): MetaDescriptor[] {
  return [{ title: [...parts.filter((p): p is string => typeof p === "string" && p.length > 0), "Switchboard"].join(" · ") }];
}
