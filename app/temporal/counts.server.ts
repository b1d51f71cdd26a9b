/** The dashboard's workflow numbers, from Temporal's visibility; null when Temporal does not answer in time. */
import type { Services } from "../context.server.js";

const DEADLINE_MS = 1_500;

export async function countWorkflows(services: Pick<Services, "temporal">): Promise<{ running: number; failedLastDay: number } | null> {
  const { temporal } = services;
  const since = new Date(Date.now() - 24 * 3600_000).toISOString();
  try {
    const [running, failed] = await temporal.withDeadline(Date.now() + DEADLINE_MS, () =>
      Promise.all([
        temporal.workflow.count("ExecutionStatus = 'Running'"),
        temporal.workflow.count(`ExecutionStatus IN ('Failed', 'TimedOut') AND CloseTime >= '${since}'`),
      ]),
    );
    return { running: running.count, failedLastDay: failed.count };
  } catch {
    return null;
  }
}
