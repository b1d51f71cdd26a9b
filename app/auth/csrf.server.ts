import type { AppLoadContext } from "@remix-run/node";

/**
 * Reads a form post and checks its CSRF token against the signed cookie
 * (double submit). Every action calls this before it changes anything.
 */
export async function readFormWithCsrf(request: Request, context: AppLoadContext): Promise<FormData> {
  let form: FormData;
  try {
    form = await request.formData();
  } catch {
    throw new Response("This request needs a form body. Go back, reload the page and try again.", { status: 400 });
  }
  try {
    await context.services.csrf.validate(form, request.headers);
  } catch (err) {
    // By name, not instanceof: the server bundle and the services may hold separate copies of the class.
    if (err instanceof Error && err.name === "CSRFError") {
      throw new Response(
        "This form has expired or was not sent from a Switchboard page. Go back, reload the page and try again.",
        { status: 403 },
      );
    }
    throw err;
  }
  // PostgreSQL text cannot hold NUL: refuse it here, before any action starts changing things.
  for (const [, value] of form) {
    if (typeof value === "string" && value.includes("\u0000")) {
      throw new Response("This form contains a character that cannot be stored (NUL). Remove it and try again.", { status: 400 });
    }
  }
  return form;
}
