import type { LoaderFunctionArgs } from "@remix-run/node";
import { checkHealth } from "../presenters/health.server.js";

/** 200 when PostgreSQL and Temporal both answer; 503 naming what is down. */
export async function loader({ context }: LoaderFunctionArgs) {
  const health = await checkHealth(context.services);
  const ok = health.db && health.temporal;
  return Response.json(
    { ok, db: health.db ? "up" : "down", temporal: health.temporal ? "up" : "down" },
    { status: ok ? 200 : 503, headers: { "Cache-Control": "no-store" } },
  );
}
