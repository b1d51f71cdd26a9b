import type { ActionFunctionArgs, LoaderFunctionArgs, MetaFunction } from "@remix-run/node";
import { data } from "@remix-run/node";
import { Form, Link, useActionData, useLoaderData } from "@remix-run/react";
import { useEffect, useState } from "react";
import { AuthenticityTokenInput } from "remix-utils/csrf/react";
import { z } from "zod";
import { readFormWithCsrf } from "../auth/csrf.server.js";
import { clearRevealCookie, readRevealCookie } from "../auth/reveal-once.server.js";
import { requireUser } from "../auth/session.server.js";
import { Alert, Badge, EmptyState, When } from "../components/ui.js";
import { getMembershipRole } from "../models/memberships.server.js";
import { coarseLastUsed } from "../models/relative-time.js";
import {
  KEY_NAME_MAX,
  MAX_ADDITIONAL_KEYS,
  createAdditionalKey,
  deleteAdditionalKey,
  isActiveMainKeyOf,
  listAccountKeys,
  regenerateMainKey,
} from "../models/api-keys.server.js";
import { getHomeSummary } from "../models/home.server.js";
import { can } from "../permissions.js";
import { NO_STORE, fetchedByScript, passCacheControl } from "../http/no-store.js";

export const meta: MetaFunction = () => [{ title: "API keys · Switchboard" }];

/** A page that carries a key is never stored: the loader (welcome reveal) and the action (new key) say so (app/http/no-store.ts). */
export const headers = passCacheControl;

const FORBIDDEN = () => new Response("Only the account's owners and admins can create, delete or regenerate API keys. Ask one of them.", { status: 403 });

const Query = z.object({
  confirm: z.enum(["regenerate", "delete"]).optional(),
  key: z.string().uuid().optional(),
});

export async function loader({ request, context }: LoaderFunctionArgs) {
  const p = await requireUser(request, context);
  const { db, config } = context.services;
  const home = await getHomeSummary(db, p.userId, p.accountId);
  if (!home || !can(home.role, "view_keys")) throw new Response("You are not a member of this account.", { status: 403 });
  const canManage = can(home.role, "manage_keys");
  const url = new URL(request.url);
  // A malformed confirm link is just the list: nothing to confirm.
  const query = Query.safeParse(Object.fromEntries(url.searchParams));
  const rows = await listAccountKeys(db, p.accountId);
  const now = new Date();
  const keys = rows.map((k) => ({
    id: k.id,
    kind: k.kind,
    name: k.name,
    display: `${k.prefix}…${k.last4}`,
    createdAt: k.created_at,
    createdBy: k.created_by_email,
    lastUsed: coarseLastUsed(k.last_used_at, now),
    status: k.status,
  }));

  // A new account's main key arrives once, in the encrypted reveal cookie; this response clears it.
  const sealed = readRevealCookie(config.session.secrets, request.headers.get("Cookie"));
  const welcomeKey = sealed && (await isActiveMainKeyOf(db, p.accountId, sealed)) ? sealed : null;
  const welcome = url.searchParams.has("welcome");

  let confirm: { kind: "regenerate" | "delete"; key: (typeof keys)[number] | null } | null = null;
  if (canManage && query.success && query.data.confirm) {
    const target =
      query.data.confirm === "regenerate" ? keys.find((k) => k.kind === "main") : keys.find((k) => k.kind === "additional" && k.id === query.data.key);
    confirm = { kind: query.data.confirm, key: target ?? null };
  }

  return data(
    {
      canManage,
      keys,
      additionalCount: keys.filter((k) => k.kind === "additional").length,
      // The model's limits travel as data: a .server module's exports do not exist in the browser.
      maxAdditional: MAX_ADDITIONAL_KEYS,
      keyNameMax: KEY_NAME_MAX,
      welcome,
      welcomeKey,
      confirm,
    },
    sealed !== null || welcome ? { headers: { "Set-Cookie": clearRevealCookie(config.secureCookies), ...(welcomeKey ? NO_STORE : {}) } } : undefined,
  );
}

const Intent = z.discriminatedUnion("intent", [
  z.object({ intent: z.literal("regenerate") }),
  z.object({ intent: z.literal("create"), name: z.string().max(10_000) }),
  z.object({ intent: z.literal("delete"), keyId: z.string().uuid() }),
]);

// Built on use: the limit comes from a .server module, which is empty in the browser bundle.
const keyNameSchema = () =>
  z
    .string()
    .trim()
    .min(1, `Give the key a name (1 to ${KEY_NAME_MAX} characters), so you know later who or what uses it.`)
    .max(KEY_NAME_MAX, `A key name is at most ${KEY_NAME_MAX} characters.`)
    .refine((s) => !/\p{Cc}/u.test(s), "A key name cannot contain control characters.");

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
  const { db } = context.services;
  const role = await getMembershipRole(db, p.accountId, p.userId);
  if (!role || !can(role, "manage_keys")) throw FORBIDDEN();
  const parsed = Intent.safeParse(Object.fromEntries(form));
  if (!parsed.success) throw new Response("Unknown request: reload the page and try again.", { status: 400 });
  const actor = { type: "user" as const, id: p.userId, ip: context.ip };
  const input = parsed.data;

  if (input.intent === "regenerate") {
    const key = await regenerateMainKey(db, p.accountId, p.userId, actor);
    // This process forgets the old key's verdict now; the others on the database notification.
    context.services.api.verifier.forgetAccount(p.accountId);
    return result(request, {
      revealed: { kind: "main", name: "Main key", plaintext: key.plaintext, display: `${key.prefix}…${key.last4}` },
    });
  }

  if (input.intent === "create") {
    const name = keyNameSchema().safeParse(input.name);
    if (!name.success) return result(request, { nameError: name.error.issues[0].message, name: input.name.slice(0, KEY_NAME_MAX * 2) }, 400);
    const created = await createAdditionalKey(db, p.accountId, name.data, p.userId, actor);
    if (!created.ok) return result(request, { error: created.message, name: name.data }, 409);
    const { key } = created;
    return result(request, {
      revealed: { kind: "additional", name: name.data, plaintext: key.plaintext, display: `${key.prefix}…${key.last4}` },
    });
  }

  const keys = await listAccountKeys(db, p.accountId);
  const target = keys.find((k) => k.id === input.keyId && k.kind === "additional");
  const deleted = target ? await deleteAdditionalKey(db, p.accountId, input.keyId, actor) : false;
  if (deleted) context.services.api.verifier.forgetAccount(p.accountId);
  if (!target || !deleted) return result(request, { error: "That key does not exist or was already deleted." }, 404);
  return result(request, { notice: `The key “${target.name}” (${target.prefix}…${target.last4}) was deleted. It no longer works.` });
}

export default function ApiKeysPage() {
  const { canManage, keys, additionalCount, maxAdditional, keyNameMax, welcome, welcomeKey, confirm } = useLoaderData<typeof loader>();
  const outcome = useActionData<typeof action>();
  const revealed = outcome?.revealed ?? null;
  const mainKey = keys.find((k) => k.kind === "main");

  return (
    <>
      <section className="card" aria-labelledby="keys-h">
        <h1 id="keys-h">API keys</h1>
        <p className="muted">
          Every API request sends one of these keys as <code>Authorization: Bearer &lt;key&gt;</code>. Any key gives full access to this account's resources and
          credits.
        </p>
        {outcome?.error ? <Alert kind="error" lines={[outcome.error]} /> : null}
        {outcome?.notice ? <Alert kind="ok" lines={[outcome.notice]} /> : null}

        {/* A key just revealed by the action takes the stage (while the list reloads, both would otherwise show). */}
        {revealed ? null : welcome ? (
          <section aria-labelledby="welcome-h" className="stack" style={{ marginBottom: "1rem" }}>
            <h2 id="welcome-h">Welcome to Switchboard</h2>
            {welcomeKey ? (
              <>
                <p>Your account is ready. This is its main API key:</p>
                <RevealedKey id="welcome-key" label="Your main API key" value={welcomeKey} />
              </>
            ) : (
              <p>Your main API key was shown once, when your account was created. If you did not copy it, regenerate it from the ⋯ menu next to it below.</p>
            )}
          </section>
        ) : welcomeKey ? (
          <RevealedKey id="welcome-key" label="Your main API key" value={welcomeKey} />
        ) : null}

        {revealed ? (
          <section aria-labelledby="revealed-h" className="stack" style={{ marginBottom: "1rem" }}>
            <h2 id="revealed-h">{revealed.kind === "main" ? "Your new main key" : `New key “${revealed.name}”`}</h2>
            {revealed.kind === "main" ? <p>The previous main key has stopped working.</p> : null}
            <RevealedKey id="revealed-key" label={revealed.kind === "main" ? "New main API key" : `API key “${revealed.name}”`} value={revealed.plaintext} />
          </section>
        ) : null}

        {/* Once the step was answered, its question is gone (even while the list reloads). */}
        {confirm && !outcome ? <ConfirmStep confirm={confirm} /> : null}

        <div className="table-wrap">
          <table>
            <caption className="sr-only">This account's API keys</caption>
            <thead>
              <tr>
                <th scope="col">Name</th>
                <th scope="col">Kind</th>
                <th scope="col">Key</th>
                <th scope="col">Created</th>
                <th scope="col">Created by</th>
                <th scope="col">Last used</th>
                <th scope="col">Status</th>
                {canManage ? (
                  <th scope="col">
                    <span className="sr-only">Actions</span>
                  </th>
                ) : null}
              </tr>
            </thead>
            <tbody>
              {keys.map((k) => (
                <tr key={k.id}>
                  <td>{k.name}</td>
                  <td>{k.kind}</td>
                  <td className="mono">{k.display}</td>
                  <td>
                    <When at={k.createdAt} />
                  </td>
                  <td>{k.createdBy ?? <span className="muted">—</span>}</td>
                  <td>{k.lastUsed}</td>
                  <td>
                    <Badge value={k.status} />
                  </td>
                  {canManage ? (
                    <td>
                      {/* <details> opens without JavaScript; each item is a link to a confirmation step. */}
                      <details>
                        <summary
                          aria-label={k.kind === "main" ? "Key actions" : `Key actions for ${k.name}`}
                          style={{ cursor: "pointer", listStyle: "none", padding: "0 .4rem" }}
                        >
                          ⋯
                        </summary>
                        {k.kind === "main" ? (
                          <Link to="?confirm=regenerate">Regenerate API key</Link>
                        ) : (
                          <Link to={`?confirm=delete&key=${k.id}`}>Delete key</Link>
                        )}
                      </details>
                    </td>
                  ) : null}
                </tr>
              ))}
            </tbody>
          </table>
        </div>
        {!mainKey ? <p className="muted">This account has no active main key.</p> : null}
        {!canManage ? <p className="muted">You can see this account's keys. Only its owners and admins can create, delete or regenerate them.</p> : null}
      </section>

      <section className="card" aria-labelledby="additional-h">
        <h2 id="additional-h">Additional keys</h2>
        {additionalCount === 0 ? (
          <EmptyState>
            <p>No additional keys yet.</p>
            <p>
              On the Build plan, additional keys are how you share access: give each person or service its own named key, and delete it when they no longer need
              it. Your main key stays untouched.
            </p>
          </EmptyState>
        ) : (
          <p className="muted">
            {additionalCount} of {maxAdditional} additional keys in use. Deleting one stops it at once.
          </p>
        )}
        {canManage ? (
          // A new key per created key: the form starts empty again after a success, with or without JavaScript.
          <CreateKeyForm
            key={outcome?.revealed?.display ?? "create"}
            maxLength={keyNameMax}
            nameError={outcome?.nameError ?? null}
            name={outcome?.name ?? ""}
          />
        ) : null}
      </section>
    </>
  );
}

function CreateKeyForm({ maxLength, nameError, name }: { maxLength: number; nameError: string | null; name: string }) {
  return (
    <Form method="post" action="/settings/api-keys" aria-labelledby="create-h">
      <h3 id="create-h">Create an additional key</h3>
      <AuthenticityTokenInput />
      <div className="row">
        <div className="field grow">
          <label htmlFor="key-name">Key name</label>
          <input
            id="key-name"
            name="name"
            type="text"
            required
            maxLength={maxLength}
            defaultValue={name}
            aria-invalid={nameError ? true : undefined}
            aria-describedby={nameError ? "key-name-error key-name-hint" : "key-name-hint"}
          />
          <div id="key-name-hint" className="hint">
            Who or what will use it, e.g. “CI pipeline” or “Sam's laptop”. Up to {maxLength} characters.
          </div>
          {nameError ? (
            <div id="key-name-error" className="field-error" role="alert">
              {nameError}
            </div>
          ) : null}
        </div>
        <div className="field">
          <button type="submit" name="intent" value="create" className="btn primary">
            Create key
          </button>
        </div>
      </div>
    </Form>
  );
}

type ConfirmData = { kind: "regenerate" | "delete"; key: { id: string; name: string; display: string } | null };

function ConfirmStep({ confirm }: { confirm: ConfirmData }) {
  if (!confirm.key) {
    return <Alert kind="info" lines={["That key does not exist or was already deleted; there is nothing to confirm."]} />;
  }
  const regenerate = confirm.kind === "regenerate";
  return (
    <section className="alert error" aria-labelledby="confirm-h">
      <h2 id="confirm-h" style={{ marginTop: 0 }}>
        {regenerate ? "Regenerate the main API key?" : `Delete the key “${confirm.key.name}”?`}
      </h2>
      <p>
        {regenerate
          ? `The current main key (${confirm.key.display}) stops working immediately: every request that still uses it is refused until you switch to the new key. The new key is shown once.`
          : `The key ${confirm.key.display} stops working immediately: every request that still uses it is refused. This cannot be undone.`}
      </p>
      {/* Posts to the plain page, so the answer (and the new key) shows on the list, not on this step again. */}
      <Form method="post" action="/settings/api-keys" className="row" style={{ marginTop: ".8rem" }}>
        <AuthenticityTokenInput />
        {regenerate ? null : <input type="hidden" name="keyId" value={confirm.key.id} />}
        <button type="submit" name="intent" value={confirm.kind} className="btn danger">
          {regenerate ? "Regenerate API key" : "Delete key"}
        </button>
        <Link to="/settings/api-keys" className="btn">
          Cancel
        </Link>
      </Form>
    </section>
  );
}

/** A secret shown once: readonly (selectable without JavaScript), with a copy button once JavaScript runs. */
function RevealedKey({ id, label, value }: { id: string; label: string; value: string }) {
  return (
    <div className="stack">
      <div className="alert info" role="note">
        <p>
          <strong>Copy this key now: it will not be shown again.</strong> Keep it in a password manager or your deployment's secret store. Switchboard keeps
          only a fingerprint of it.
        </p>
      </div>
      <label htmlFor={id}>{label}</label>
      <div className="row" style={{ alignItems: "center" }}>
        <input
          id={id}
          type="text"
          className="mono grow"
          readOnly
          value={value}
          spellCheck={false}
          autoComplete="off"
          onFocus={(e) => e.currentTarget.select()}
          style={{ flex: 1, minWidth: "20rem" }}
        />
        <CopyButton targetId={id} value={value} />
      </div>
    </div>
  );
}

function CopyButton({ targetId, value }: { targetId: string; value: string }) {
  // Rendered only once JavaScript runs: without it the button could do nothing, and the input is the way to copy.
  const [ready, setReady] = useState(false);
  const [state, setState] = useState<"idle" | "copied" | "failed">("idle");
  useEffect(() => setReady(true), []);
  if (!ready) return null;
  const copy = async () => {
    try {
      await navigator.clipboard.writeText(value);
      setState("copied");
    } catch {
      // No clipboard access (permissions, insecure origin): leave the key selected for a manual copy.
      const input = document.getElementById(targetId);
      if (input instanceof HTMLInputElement) input.select();
      setState("failed");
    }
  };
  return (
    <>
      <button type="button" className="btn" onClick={copy} aria-describedby={`${targetId}-copy-status`}>
        Copy key
      </button>
      <span id={`${targetId}-copy-status`} role="status" className={state === "failed" ? "field-error" : "muted"}>
        {state === "copied" ? "Copied to the clipboard." : state === "failed" ? "Could not copy: the key is selected, copy it with your keyboard." : ""}
      </span>
    </>
  );
}
