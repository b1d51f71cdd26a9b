import type { LoaderFunctionArgs } from "@remix-run/node";
import { requireUser } from "../auth/session.server.js";
import { exportMyData } from "../services/personal-data.server.js";

/** "Download my data": a JSON attachment, never cached, audited (without its contents). */
export async function loader({ request, context }: LoaderFunctionArgs) {
  const p = await requireUser(request, context);
  const data = await exportMyData(context.services, p.userId, { type: "user", id: p.userId, ip: context.ip });
  return new Response(JSON.stringify(data, null, 2), {
    headers: {
      "Content-Type": "application/json; charset=utf-8",
      "Content-Disposition": `attachment; filename="switchboard-data-${new Date().toISOString().slice(0, 10)}.json"`,
      "Cache-Control": "no-store",
    },
  });
}
