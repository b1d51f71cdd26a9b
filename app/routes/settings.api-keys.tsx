import type { ActionFunctionArgs, LoaderFunctionArgs, MetaFunction } from "@remix-run/node";
import { data } from "@remix-run/node";
import { useActionData, useLoaderData } from "@remix-run/react";
import { z } from "zod";
import { readFormWithCsrf } from "../auth/csrf.server.js";
import { clearRevealCookie, readRevealCookie } from "../auth/reveal-once.server.js";
import { requireUser } from "../auth/session.server.js";
import { EMPTY_ANSWER, type CreateField, type KeysActionData } from "../components/api-keys/action-data.js";
import { KeysView } from "../components/api-keys/keys-view.js";
import { fieldErrorsOf, type FieldErrors } from "../components/forms.js";
import { NO_STORE, fetchedByScript, passCacheControl } from "../http/no-store.js";
import { KEY_NAME_MAX } from "../models/api-keys.server.js";
import { getMembershipRole } from "../models/memberships.server.js";
import { formatCents } from "../models/money.js";
import { coarseFromNow, utcMinute } from "../models/relative-time.js";
import { pageTitle } from "../page-title.js";
import { can } from "../permissions.js";
import { checkPastedKey, loadApiKeysPage } from "../presenters/api-keys-page.server.js";
import { changeKeySpendLimit, createNamedKey, deleteNamedKey, regenerateAccountMainKey, rollAccountMainKey, stopOldMainKey } from "../services/keys.server.js";
import { EXPIRY_CHOICES, isRollWindow, parseExpiry, parseSpendLimit } from "../validation/key-options.js";

export const meta: MetaFunction = () => pageTitle("API keys", "Settings");

/** A page that carries a key is never stored: the loader (welcome reveal) and the action (new key) say so (app/http/no-store.ts). */
export const headers = passCacheControl;

const FORBIDDEN = () => new Response("Only the account's owners and admins can create, delete or change API keys. Ask one of them.", { status: 403 });

const Query = z.object({
  confirm: z.enum(["regenerate", "roll", "stop", "limit", "delete"]).optional(),
  key: z.string().uuid().optional(),
});

export async function loader({ request, context }: LoaderFunctionArgs) {
  const p = await requireUser(request, context);
  const { config } = context.services;
  const url = new URL(request.url);
  // A malformed confirm link is just the list: nothing to confirm.
  const query = Query.safeParse(Object.fromEntries(url.searchParams));
  // A new account's main key arrives once, in the encrypted reveal cookie; this response clears it.
  const sealed = readRevealCookie(config.session.secrets, request.headers.get("Cookie"));
  const page = await loadApiKeysPage(context.services, p, {
    confirm: query.success && query.data.confirm ? { kind: query.data.confirm, keyId: query.data.key } : undefined,
    sealedKey: sealed,
  });
  if (!page) throw new Response("You are not a member of this account.", { status: 403 });
  const welcome = url.searchParams.has("welcome");
  return data(
    { ...page, welcome },
    sealed !== null || welcome ? { headers: { "Set-Cookie": clearRevealCookie(config.secureCookies), ...(page.welcomeKey ? NO_STORE : {}) } } : undefined,
  );
}

const text = (max: number) => z.string().max(max);
const Intent = z.discriminatedUnion("intent", [
  z.object({ intent: z.literal("regenerate") }),
  z.object({ intent: z.literal("roll"), window: text(20) }),
  z.object({ intent: z.literal("stop"), keyId: z.string().uuid() }),
  z.object({
    intent: z.literal("create"),
    name: text(10_000),
    // Absent from an older page's form: no expiry, no limit.
    expires: text(20).default("never"),
    expiresOn: text(100).default(""),
    spendLimit: text(100).default(""),
  }),
  z.object({ intent: z.literal("limit"), keyId: z.string().uuid(), spendLimit: text(100) }),
  z.object({ intent: z.literal("delete"), keyId: z.string().uuid() }),
  // Anyone who may see the keys may check one: it changes nothing.
  z.object({ intent: z.literal("check"), key: text(10_000) }),
]);

// Built on use: the limit comes from a .server module, which is empty in the browser bundle.
const KeyName = () =>
  z.object({
    name: z
      .string()
      .trim()
      .min(1, `Give the key a name (1 to ${KEY_NAME_MAX} characters), so you know later who or what uses it.`)
      .max(KEY_NAME_MAX, `A key name is at most ${KEY_NAME_MAX} characters.`)
      .refine((s) => !/\p{Cc}/u.test(s), "A key name cannot contain control characters."),
  });

const answer = (request: Request, r: Partial<KeysActionData>, status = 200) =>
  data<KeysActionData>({ ...EMPTY_ANSWER, ...r }, { status, headers: r.revealed && !fetchedByScript(request) ? NO_STORE : undefined });

const shown = (k: { prefix: string; last4: string }) => `${k.prefix}…${k.last4}`;

export async function action({ request, context }: ActionFunctionArgs) {
  const form = await readFormWithCsrf(request, context);
  const p = await requireUser(request, context);
  const role = await getMembershipRole(context.services.db, p.accountId, p.userId);
  const parsed = Intent.safeParse(Object.fromEntries(form));
  // Members may only check a key; any other post of theirs is refused before it is read further.
  if (!role || (!(parsed.success && parsed.data.intent === "check") && !can(role, "manage_keys"))) throw FORBIDDEN();
  if (!parsed.success) throw new Response("Unknown request: reload the page and try again.", { status: 400 });
  const actor = { type: "user" as const, id: p.userId, ip: context.ip };
  const { services } = context;
  const input = parsed.data;

  switch (input.intent) {
    case "regenerate": {
      // Also where the main key was found public and revoked: then there is none to stop, and this makes one.
      const key = await regenerateAccountMainKey(services, p.accountId, p.userId, actor);
      return answer(request, {
        revealed: { kind: "main", name: "Main key", plaintext: key.plaintext, display: shown(key), how: "regenerated", previous: null },
      });
    }
    case "roll": {
      if (!isRollWindow(input.window)) return answer(request, { error: "Choose how long the old key keeps working: 1 hour, 24 hours or 7 days." }, 400);
      const { key, old } = await rollAccountMainKey(services, p.accountId, p.userId, input.window, actor);
      const previous = old ? { display: shown(old), until: utcMinute(old.expiresAt), inWords: coarseFromNow(old.expiresAt, new Date()) } : null;
      return answer(request, {
        revealed: { kind: "main", name: "Main key", plaintext: key.plaintext, display: shown(key), how: old ? "rolled" : "created", previous },
      });
    }
    case "stop": {
      const stopped = await stopOldMainKey(services, p.accountId, input.keyId, actor);
      if (!stopped) return answer(request, { error: "That key had already stopped working; nothing changed." }, 404);
      return answer(request, { notice: `The previous main key (${shown(stopped)}) stopped working. Only the current main key works now.` });
    }
    case "create": {
      const now = new Date();
      const named = KeyName().safeParse({ name: input.name });
      const expiry = parseExpiry(input.expires, input.expiresOn, now);
      const limit = parseSpendLimit(input.spendLimit);
      const errors: FieldErrors<CreateField> = named.success ? {} : fieldErrorsOf(named.error, ["name"] as const).fieldErrors;
      if (!expiry.ok) errors[expiry.field] = expiry.message;
      if (!limit.ok) errors.spendLimit = limit.message;
      if (!named.success || !expiry.ok || !limit.ok) {
        const values = {
          name: input.name.slice(0, KEY_NAME_MAX * 2),
          expires: EXPIRY_CHOICES.some((c) => c.value === input.expires) ? input.expires : "never",
          expiresOn: input.expiresOn,
          spendLimit: input.spendLimit,
        };
        return answer(request, { create: { errors, values } }, 400);
      }
      const { name } = named.data;
      const created = await createNamedKey(services, p.accountId, name, p.userId, actor, { expiresAt: expiry.value, spendLimitCents: limit.value });
      if (!created.ok) return answer(request, { error: created.message, create: { errors: {}, values: { ...input, name } } }, 409);
      const { key } = created;
      return answer(request, { revealed: { kind: "additional", name, plaintext: key.plaintext, display: shown(key), how: null, previous: null } });
    }
    case "limit": {
      const limit = parseSpendLimit(input.spendLimit);
      if (!limit.ok) return answer(request, { limit: { keyId: input.keyId, error: limit.message, value: input.spendLimit } }, 400);
      const changed = await changeKeySpendLimit(services, p.accountId, input.keyId, limit.value, actor);
      if (!changed.ok) return answer(request, { error: "That key does not exist or was already deleted." }, 404);
      const what = `“${changed.key.name}” (${shown(changed.key)})`;
      return answer(request, {
        notice:
          changed.after === null
            ? `The key ${what} has no spend limit now.`
            : `The key ${what} may now spend up to ${formatCents(changed.after)} a calendar month (UTC).`,
      });
    }
    case "delete": {
      const deleted = await deleteNamedKey(services, p.accountId, input.keyId, actor);
      if (!deleted.ok) return answer(request, { error: "That key does not exist or was already deleted." }, 404);
      const { key } = deleted;
      return answer(request, { notice: `The key “${key.name}” (${shown(key)}) was deleted. It no longer works.` });
    }
    case "check": {
      if (input.key.trim() === "") return answer(request, { check: { answer: null, error: "Paste a key to check." } }, 400);
      const verdict = await checkPastedKey(services, p, input.key);
      if (!verdict) throw FORBIDDEN();
      return answer(request, { check: { answer: verdict, error: null } });
    }
  }
}

export default function ApiKeysPage() {
  const page = useLoaderData<typeof loader>();
  const outcome = useActionData<typeof action>() ?? null;
  return <KeysView page={page} outcome={outcome} />;
}
