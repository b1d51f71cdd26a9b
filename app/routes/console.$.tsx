/** An unknown /console address: a 404 inside the console shell (its bar and search), not the router's bare message. */
import type { MetaFunction } from "@remix-run/node";
import { pageTitle } from "../page-title.js";

export const meta: MetaFunction = () => pageTitle("Page not found", "Console");

export function loader() {
  throw new Response("There is no console page at this address. Use the links above, or search.", { status: 404 });
}

export default function NoSuchConsolePage() {
  return null;
}
