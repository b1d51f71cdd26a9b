/**
 * Console → Lists: the mailing lists with their subscriber counts, the recent
 * mail sent to them with a link to each one's workflow, whether this staff
 * member may send, and the send just made (`?sent=`).
 */
import type { StaffRole } from "../../db/schema.js";
import { listMailingWorkflowId } from "../../workflows/shared.js";
import { workflowHref } from "../components/workflow-list.js";
import type { Services } from "../context.server.js";
import { listMailingLists, listsWithSubscriberCounts, recentListMailings } from "../models/mailing.server.js";
import { staffCan } from "../permissions.js";

export const RECENT_LIST_MAILINGS = 20;

export async function loadListsPage(services: Pick<Services, "db">, role: StaffRole, sentId: string | null) {
  const { db } = services;
  const [lists, mailings] = await Promise.all([listsWithSubscriberCounts(db), recentListMailings(db, RECENT_LIST_MAILINGS)]);
  const sent = sentId ? (mailings.find((m) => m.id === sentId) ?? null) : null;
  return {
    lists,
    recent: RECENT_LIST_MAILINGS,
    mailings: mailings.map((m) => ({
      id: m.id,
      list: m.listName,
      subject: m.subject,
      status: m.status,
      recipients: m.recipients,
      createdAt: m.created_at,
      completedAt: m.completed_at,
      workflowHref: workflowHref({ workflowId: listMailingWorkflowId(m.id) }),
    })),
    canSend: staffCan(role, "send_list_mail"),
    sent: sent ? { subject: sent.subject, list: sent.listName, workflowHref: workflowHref({ workflowId: listMailingWorkflowId(sent.id) }) } : null,
  };
}

/** Whether a send names one of the lists (compared here, so text the database could not take never reaches a query). */
export async function isMailingList(services: Pick<Services, "db">, listId: string): Promise<boolean> {
  return (await listMailingLists(services.db)).some((l) => l.id === listId);
}
