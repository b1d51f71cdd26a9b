import type { AppLoadContext } from "@remix-run/node";
import { faultPath, findFormFault, findUrlEncodedFault, textProblemReason, type TextFault } from "../validation/text.js";

/**
 * Reads a form post and checks its CSRF token against the signed cookie
 * (double submit). Every action calls this before it changes anything.
 */
export async function readFormWithCsrf(request: Request, context: AppLoadContext): Promise<FormData> {
  let form: FormData;
  let bytesFault: TextFault | null = null;
  try {
    // The form parser turns percent-encoded bytes that are not UTF-8 (how a lone surrogate
    // travels) into U+FFFD without a word: look at the bytes first, judge after the CSRF check.
    if (isUrlEncoded(request)) bytesFault = findUrlEncodedFault(new Uint8Array(await request.clone().arrayBuffer()));
    form = await request.formData();
  } catch {
    throw new Response("This request needs a form body. Go back, reload the page and try again.", { status: 400 });
  }
  try {
    await context.services.csrf.validate(form, request.headers);
  } catch (err) {
    // By name, not instanceof: the server bundle and the services may hold separate copies of the class.
    if (err instanceof Error && err.name === "CSRFError") {
      throw new Response("This form has expired or was not sent from a Switchboard page. Go back, reload the page and try again.", { status: 403 });
    }
    throw err;
  }
  // NUL, lone surrogates, bytes that are not UTF-8 (app/validation/text.ts says why): refused
  // here, naming the field, before any action starts changing things.
  const fault = bytesFault ?? findFormFault(form);
  if (fault) {
    throw new Response(`The field “${faultPath(fault)}” ${textProblemReason(fault.problem)}: remove that character and try again.`, { status: 400 });
  }
  return form;
}

const isUrlEncoded = (request: Request) =>
  (request.headers.get("Content-Type") ?? "").split(";")[0].trim().toLowerCase() === "application/x-www-form-urlencoded";

/**
 * A Set-Cookie with a brand-new CSRF token, for every sign-in: a token planted or
 * read before signing in is worthless after it, and the pages rendered from here
 * on embed the new one (root loader).
 */
export async function renewedCsrfCookie(context: AppLoadContext): Promise<string> {
  // Without a request the CSRF helper ignores any existing cookie and mints a new token.
  const [, cookie] = await context.services.csrf.commitToken();
  if (!cookie) throw new Error("CSRF.commitToken() without a request always returns a cookie");
  return cookie;
}
