import type { LoaderFunctionArgs } from "@remix-run/node";
import { sql } from "kysely";

const withTimeout = <T>(p: Promise<T>, ms: number) => Promise.race([p, new Promise<never>((_, reject) => setTimeout(() => reject(new Error("timeout")), ms))]);

/** 200 when PostgreSQL and Temporal both answer; 503 naming what is down. */
export async function loader({ context }: LoaderFunctionArgs) {
  const { db, temporal } = context.services;
  const [dbUp, temporalUp] = await Promise.all([
    withTimeout(sql`SELECT 1`.execute(db), 2000).then(
      () => true,
      () => false,
    ),
    withTimeout(temporal.workflowService.getSystemInfo({}), 2000).then(
      () => true,
      () => false,
    ),
  ]);
  const ok = dbUp && temporalUp;
  return Response.json(
    { ok, db: dbUp ? "up" : "down", temporal: temporalUp ? "up" : "down" },
    { status: ok ? 200 : 503, headers: { "Cache-Control": "no-store" } },
  );
}
