/** An unknown /settings address: a 404 inside the settings shell, not the router's bare message. */
import type { MetaFunction } from "@remix-run/node";
import { pageTitle } from "../page-title.js";

export const meta: MetaFunction = () => pageTitle("Page not found", "Settings");

export function loader() {
  throw new Response("There is no settings page at this address. Pick one of the tabs above.", { status: 404 });
}

export default function NoSuchSettingsPage() {
  return null;
}
