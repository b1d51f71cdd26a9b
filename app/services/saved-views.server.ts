/**
 * Saved views: a staff member names the current filters of a console list and
 * opens or deletes them later. Per staff member (every read and write is scoped
 * by their id), one name per list; audited like the console's other changes
 * (ids and the list only: the name is the person's own words).
 */
import { z } from "zod";
import type { SavedViewList } from "../../db/schema.js";
import type { Services } from "../context.server.js";
import { writeAudit, type Actor } from "../models/audit.server.js";
import { countSavedViews, deleteSavedView, insertSavedView, MAX_SAVED_VIEWS_PER_LIST, viewQueryOf } from "../models/saved-views.server.js";
import { isUuid } from "../validation/ids.js";

const MAX_NAME = 60;

/**
 * Characters a name must not hold: controls (C0, C1), format characters (bidi
 * overrides and isolates that reorder what staff read, zero-width joiners and
 * spaces that make two names look alike), private-use and unassigned code
 * points, line and paragraph separators.
 */
const HOSTILE = /[\p{Cc}\p{Cf}\p{Co}\p{Cn}\p{Zl}\p{Zp}]/u;

const codePoint = (ch: string) => `U+${ch.codePointAt(0)!.toString(16).toUpperCase().padStart(4, "0")}`;

/** The name as stored (trimmed, NFC), or why it is refused. */
export function checkViewName(raw: string): { ok: true; name: string } | { ok: false; message: string } {
  const name = raw.normalize("NFC").trim();
  if (name.length === 0) return { ok: false, message: "Give the view a name." };
  const bad = HOSTILE.exec(name);
  if (bad) return { ok: false, message: `The name holds an invisible or control character (${codePoint(bad[0])}). Type it again without it.` };
  if ([...name].length > MAX_NAME) return { ok: false, message: `Keep the name to ${MAX_NAME} characters.` };
  return { ok: true, name };
}

/** A saved-view form's answer, shown beside the form. */
export interface SavedViewOutcome {
  form: "saved_view";
  error: string | null;
  notice: string | null;
  /** The name field's error, and the name as typed, for a second try. */
  nameError: string | null;
  name: string;
}

const Form = z.discriminatedUnion(
  "intent",
  [
    z.object({ intent: z.literal("save_view"), name: z.string().max(1000, `Keep the name to ${MAX_NAME} characters.`), query: z.string().max(4000) }),
    z.object({ intent: z.literal("delete_view"), id: z.string().refine(isUuid, "That view is not among yours.") }),
  ],
  { errorMap: () => ({ message: "Choose Save view or Delete." }) },
);

/**
 * Saves or deletes a view from a list page's form (CSRF already checked, the
 * person already known to be staff). Returns the answer and its HTTP status.
 */
export async function runSavedViewForm(
  services: Pick<Services, "db">,
  input: { staffId: string; list: SavedViewList; form: FormData },
  actor: Actor,
): Promise<{ outcome: SavedViewOutcome; status: number }> {
  const typed = String(input.form.get("name") ?? "");
  const answer = (status: number, o: Partial<SavedViewOutcome>) => ({
    status,
    outcome: { form: "saved_view" as const, error: null, notice: null, nameError: null, name: typed.slice(0, 200), ...o },
  });
  const parsed = Form.safeParse(Object.fromEntries(input.form));
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    if (issue?.path[0] === "name") return answer(400, { nameError: issue.message });
    return answer(400, { error: issue?.message ?? "The form was incomplete." });
  }
  const { db } = services;
  const { staffId, list } = input;

  if (parsed.data.intent === "delete_view") {
    const id = parsed.data.id;
    const name = await db.transaction().execute(async (trx) => {
      const deleted = await deleteSavedView(trx, { staffId, list, id });
      if (deleted !== null) await writeAudit(trx, actor, { action: "saved_view.deleted", targetType: "saved_view", targetId: id, details: { list } });
      return deleted;
    });
    if (name === null) return answer(404, { error: "That view is not among yours: nothing was deleted.", name: "" });
    return answer(200, { notice: `View “${name}” deleted.`, name: "" });
  }

  const checked = checkViewName(parsed.data.name);
  if (!checked.ok) return answer(400, { nameError: checked.message });
  const query = viewQueryOf(list, parsed.data.query);
  const result = await db.transaction().execute(async (trx) => {
    // A soft cap (two posts at once may both pass it): it keeps one person's views a list they can scan.
    if ((await countSavedViews(trx, staffId, list)) >= MAX_SAVED_VIEWS_PER_LIST) return "full" as const;
    const id = await insertSavedView(trx, { staffId, list, name: checked.name, query });
    if (id === null) return "taken" as const;
    await writeAudit(trx, actor, { action: "saved_view.created", targetType: "saved_view", targetId: id, details: { list } });
    return id;
  });
  if (result === "full") return answer(409, { error: `You have ${MAX_SAVED_VIEWS_PER_LIST} views of this list already: delete one first.` });
  if (result === "taken") return answer(409, { nameError: `You already have a view called “${checked.name}”. Choose another name or delete that one first.` });
  return answer(200, { notice: `Saved as “${checked.name}”.`, name: "" });
}
