import type { ActionFunctionArgs, LoaderFunctionArgs, MetaFunction } from "@remix-run/node";
import { data } from "@remix-run/node";
import { useActionData, useLoaderData } from "@remix-run/react";
import { useEffect, useRef } from "react";
import { z } from "zod";
import { readFormWithCsrf } from "../auth/csrf.server.js";
import { clearRevealCookie, readRevealCookie } from "../auth/reveal-once.server.js";
import { requireUser } from "../auth/session.server.js";
import { fieldErrorsOf } from "../components/forms.js";
import { ConfirmStep, CreateKeyForm } from "../components/api-keys/key-forms.js";
import { KeysTable } from "../components/api-keys/keys-table.js";
import { Quickstart } from "../components/api-keys/quickstart.js";
import { RevealedSecret } from "../components/revealed-secret.js";
import { Alert } from "../components/ui.js";
import { KEY_NAME_MAX } from "../models/api-keys.server.js";
import { getMembershipRole } from "../models/memberships.server.js";
import { pageTitle } from "../page-title.js";
import { can } from "../permissions.js";
import { loadApiKeysPage } from "../presenters/api-keys-page.server.js";
import { createNamedKey, deleteNamedKey, regenerateAccountMainKey } from "../services/keys.server.js";
import { NO_STORE, fetchedByScript, passCacheControl } from "../http/no-store.js";

const KEY_NOTE = (
  <>
    <strong>Copy this key now: it will not be shown again.</strong> Keep it in a password manager or your deployment's secret store. Switchboard keeps only a
    fingerprint of it.
  </>
);

export const meta: MetaFunction = () => pageTitle("API keys", "Settings");

/** A page that carries a key is never stored: the loader (welcome reveal) and the action (new key) say so (app/http/no-store.ts). */
export const headers = passCacheControl;

const FORBIDDEN = () => new Response("Only the account's owners and admins can create, delete or regenerate API keys. Ask one of them.", { status: 403 });

const Query = z.object({
  confirm: z.enum(["regenerate", "delete"]).optional(),
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

const Intent = z.discriminatedUnion("intent", [
  z.object({ intent: z.literal("regenerate") }),
  z.object({ intent: z.literal("create"), name: z.string().max(10_000) }),
  z.object({ intent: z.literal("delete"), keyId: z.string().uuid() }),
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

interface Revealed {
  kind: "main" | "additional";
  name: string;
  plaintext: string;
  display: string;
}
type ActionResult = {
  revealed: Revealed | null;
  notice: string | null;
  error: string | null;
  nameError: string | null;
  name: string;
};
const result = (request: Request, r: Partial<ActionResult>, status = 200) =>
  data<ActionResult>(
    { revealed: null, notice: null, error: null, nameError: null, name: "", ...r },
    { status, headers: r.revealed && !fetchedByScript(request) ? NO_STORE : undefined },
  );

export async function action({ request, context }: ActionFunctionArgs) {
  const form = await readFormWithCsrf(request, context);
  const p = await requireUser(request, context);
  const role = await getMembershipRole(context.services.db, p.accountId, p.userId);
  if (!role || !can(role, "manage_keys")) throw FORBIDDEN();
  const parsed = Intent.safeParse(Object.fromEntries(form));
  if (!parsed.success) throw new Response("Unknown request: reload the page and try again.", { status: 400 });
  const actor = { type: "user" as const, id: p.userId, ip: context.ip };
  const input = parsed.data;

  if (input.intent === "regenerate") {
    const key = await regenerateAccountMainKey(context.services, p.accountId, p.userId, actor);
    return result(request, {
      revealed: { kind: "main", name: "Main key", plaintext: key.plaintext, display: `${key.prefix}…${key.last4}` },
    });
  }

  if (input.intent === "create") {
    const named = KeyName().safeParse({ name: input.name });
    if (!named.success) {
      const { fieldErrors } = fieldErrorsOf(named.error, ["name"]);
      return result(request, { nameError: fieldErrors.name ?? null, name: input.name.slice(0, KEY_NAME_MAX * 2) }, 400);
    }
    const { name } = named.data;
    const created = await createNamedKey(context.services, p.accountId, name, p.userId, actor);
    if (!created.ok) return result(request, { error: created.message, name }, 409);
    const { key } = created;
    return result(request, {
      revealed: { kind: "additional", name, plaintext: key.plaintext, display: `${key.prefix}…${key.last4}` },
    });
  }

  const deleted = await deleteNamedKey(context.services, p.accountId, input.keyId, actor);
  if (!deleted.ok) return result(request, { error: "That key does not exist or was already deleted." }, 404);
  const { key } = deleted;
  return result(request, { notice: `The key “${key.name}” (${key.prefix}…${key.last4}) was deleted. It no longer works.` });
}

export default function ApiKeysPage() {
  const { canManage, keys, additionalCount, maxAdditional, keyNameMax, welcome, welcomeKey, confirm, apiBase } = useLoaderData<typeof loader>();
  const outcome = useActionData<typeof action>();
  const revealed = outcome?.revealed ?? null;
  const mainKey = keys.find((k) => k.kind === "main");
  const outcomeRef = useRef<HTMLDivElement>(null);

  // Focus follows the answer: to a revealed key (ready to copy), else to what the action said (the row it acted on may be gone).
  useEffect(() => {
    if (!outcome) return;
    if (outcome.revealed) document.getElementById("revealed-key")?.focus();
    else if (outcome.notice || outcome.error) outcomeRef.current?.focus();
  }, [outcome]);

  return (
    <section className="card" aria-labelledby="keys-h">
      <h1 id="keys-h">API keys</h1>
      <p className="muted">
        Every API request sends one of these keys as <code>Authorization: Bearer &lt;key&gt;</code>. Any key gives full access to this account's resources and
        credits.
      </p>
      <div ref={outcomeRef} tabIndex={-1}>
        {outcome?.error ? <Alert kind="error" lines={[outcome.error]} /> : null}
        {outcome?.notice ? <Alert kind="ok" lines={[outcome.notice]} /> : null}
      </div>

      {/* A key just revealed by the action takes the stage (while the list reloads, both would otherwise show). */}
      {revealed ? null : welcome ? (
        <section aria-labelledby="welcome-h" className="stack reveal">
          <h2 id="welcome-h">Welcome to Switchboard</h2>
          {welcomeKey ? (
            <>
              <p>Your account is ready. This is its main API key:</p>
              <RevealedSecret id="welcome-key" what="key" note={KEY_NOTE} label="Your main API key" value={welcomeKey} minWidth="12rem" />
              <Quickstart apiBase={apiBase} apiKey={welcomeKey} />
            </>
          ) : (
            <p>Your main API key was shown once, when your account was created. If you did not copy it, regenerate it from the ⋯ menu next to it below.</p>
          )}
        </section>
      ) : welcomeKey ? (
        <section aria-label="Your main API key" className="stack reveal">
          <RevealedSecret id="welcome-key" what="key" note={KEY_NOTE} label="Your main API key" value={welcomeKey} minWidth="12rem" />
          <Quickstart apiBase={apiBase} apiKey={welcomeKey} />
        </section>
      ) : null}

      {revealed ? (
        <section aria-labelledby="revealed-h" className="stack reveal">
          <h2 id="revealed-h">{revealed.kind === "main" ? "Your new main key" : `New key “${revealed.name}”`}</h2>
          {revealed.kind === "main" ? <p>The previous main key has stopped working.</p> : null}
          <RevealedSecret
            id="revealed-key"
            what="key"
            note={KEY_NOTE}
            label={revealed.kind === "main" ? "New main API key" : `API key “${revealed.name}”`}
            value={revealed.plaintext}
            minWidth="12rem"
          />
          <Quickstart apiBase={apiBase} apiKey={revealed.plaintext} />
        </section>
      ) : null}

      {/* Once the step was answered, its question is gone (even while the list reloads). */}
      {confirm && !outcome ? <ConfirmStep confirm={confirm} /> : null}

      {canManage ? (
        // A new form per created key: it starts empty again after a success, with or without JavaScript.
        <CreateKeyForm key={outcome?.revealed?.display ?? "create"} maxLength={keyNameMax} nameError={outcome?.nameError ?? null} name={outcome?.name ?? ""} />
      ) : null}
      {additionalCount === 0 ? (
        <p className="muted">
          No additional keys yet. On the Build plan, additional keys are how you share access: give each person or service its own named key, and delete it when
          they no longer need it. Your main key stays untouched.
        </p>
      ) : (
        <p className="muted">
          {additionalCount} of {maxAdditional} additional keys in use. Deleting one stops it at once.
        </p>
      )}

      <h2 id="list-h">Your keys</h2>
      <KeysTable keys={keys} canManage={canManage} />
      {!mainKey ? <p className="muted">This account has no active main key.</p> : null}
      <p className="muted">Spend is this calendar month's usage (UTC) made with each key; Billing has the history.</p>
      {!canManage ? <p className="muted">You can see this account's keys. Only its owners and admins can create, delete or regenerate them.</p> : null}
    </section>
  );
}
