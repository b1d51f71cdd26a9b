/** Any other unknown address: the root's error page, with the bar. */
import type { MetaFunction } from "@remix-run/node";
import { pageTitle } from "../page-title.js";

export const meta: MetaFunction = () => pageTitle("Page not found");

export function loader() {
  throw new Response("There is nothing at this address. Check the link, or go to the start page.", { status: 404 });
}

export default function NoSuchPage() {
  return null;
}
