/** Settings → Sessions: every live session of the signed-in person, most recently seen first. */
import type { Services } from "../context.server.js";
import { listUserSessions } from "../models/sessions.server.js";

export async function loadSessionsPage(services: Pick<Services, "db">, who: { userId: string; sessionId: string }) {
  const sessions = await listUserSessions(services.db, who.userId);
  return { current: who.sessionId, sessions };
}
