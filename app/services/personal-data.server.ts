/** "Download my data": everything held about the person, and an audit row that says it was taken (never what it held). */
import type { Services } from "../context.server.js";
import { writeAudit, type Actor } from "../models/audit.server.js";
import { exportPersonalData } from "../models/personal-data.server.js";

export async function exportMyData(services: Pick<Services, "db">, userId: string, actor: Actor) {
  const data = await exportPersonalData(services.db, userId);
  await writeAudit(services.db, actor, { action: "user.data_exported", targetType: "user", targetId: userId });
  return data;
}
