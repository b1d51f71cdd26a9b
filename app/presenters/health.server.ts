/** /healthz: whether PostgreSQL and Temporal both answer, each within 2 seconds. */
import { databaseAnswers } from "../../db/connection.js";
import type { Services } from "../context.server.js";
import { temporalAnswers } from "../temporal/client.server.js";

const withTimeout = (p: Promise<boolean>, ms: number) => Promise.race([p, new Promise<boolean>((resolve) => setTimeout(() => resolve(false), ms))]);

export async function checkHealth(services: Pick<Services, "db" | "temporal">): Promise<{ db: boolean; temporal: boolean }> {
  const [db, temporal] = await Promise.all([withTimeout(databaseAnswers(services.db), 2000), withTimeout(temporalAnswers(services.temporal), 2000)]);
  return { db, temporal };
}
