/**
 * Settings → API keys as a whole: a key just revealed (welcome, created,
 * regenerated, rolled), the action's answer, a confirmation step, what needs
 * doing (a main key found public, old-format keys), the create form, the
 * list, and "Check a key".
 */
import { useEffect, useRef } from "react";
import { useHydrated } from "remix-utils/use-hydrated";
import type { ApiKeysPage } from "../../presenters/api-keys-page.server.js";
import { ConfirmAction } from "../confirm-dialog.js";
import { RevealedSecret } from "../revealed-secret.js";
import { Alert, When } from "../ui.js";
import type { KeysActionData, RevealedKey } from "./action-data.js";
import { CheckKeyForm } from "./key-check.js";
import { ConfirmStep, CreateKeyForm, KeyActionForm, confirmHref, keyConfirmation, type ConfirmContext } from "./key-forms.js";
import { KeysTable } from "./keys-table.js";
import { Quickstart } from "./quickstart.js";
import { Link } from "@remix-run/react";

const KEY_NOTE = (
  <>
    <strong>Copy this key now: it will not be shown again.</strong> Keep it in a password manager or your deployment's secret store. Switchboard keeps only a
    fingerprint of it.
  </>
);

export function KeysView({ page, outcome }: { page: ApiKeysPage & { welcome: boolean }; outcome: KeysActionData | null }) {
  const { canManage, keys, additionalCount, maxAdditional, keyNameMax, welcome, welcomeKey, confirm, apiBase } = page;
  const ctx: ConfirmContext = page;
  const revealed = outcome?.revealed ?? null;
  const outcomeRef = useRef<HTMLDivElement>(null);
  const checkRef = useRef<HTMLDivElement>(null);

  // Focus follows the answer: to a revealed key (ready to copy), a refused spend limit's form, a key check's verdict, else what the action said.
  useEffect(() => {
    if (!outcome) return;
    if (outcome.revealed) document.getElementById("revealed-key")?.focus();
    else if (outcome.limit) document.getElementById("spend-limit-step")?.focus();
    else if (outcome.check?.answer) checkRef.current?.focus();
    else if (outcome.notice || outcome.error) outcomeRef.current?.focus();
  }, [outcome]);

  const limitKey = outcome?.limit ? (keys.find((k) => k.id === outcome.limit!.keyId) ?? null) : null;

  return (
    <section className="card api-keys" aria-labelledby="keys-h">
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

      {revealed ? <Revealed revealed={revealed} apiBase={apiBase} /> : null}

      {/* Once the step was answered, its question is gone (even while the list reloads); a refused limit comes back as the step with its error. */}
      {outcome?.limit && limitKey ? (
        <ConfirmStep confirm={{ kind: "limit", key: limitKey }} ctx={ctx} limit={{ value: outcome.limit.value, error: outcome.limit.error }} />
      ) : confirm && !outcome ? (
        <ConfirmStep confirm={confirm} ctx={ctx} />
      ) : null}

      {page.leakedMain ? <LeakedMainKey page={page} ctx={ctx} /> : null}
      {page.legacyCount > 0 ? <LegacyNudge page={page} /> : null}

      {canManage ? (
        // A new form per created key: it starts empty again after a success, with or without JavaScript.
        <CreateKeyForm
          key={outcome?.revealed?.display ?? "create"}
          maxLength={keyNameMax}
          expiryBounds={page.expiryBounds}
          errors={outcome?.create?.errors ?? {}}
          values={outcome?.create?.values ?? null}
        />
      ) : null}
      {additionalCount === 0 && keys.some((k) => k.kind === "additional") ? (
        <p className="muted">No additional keys in use.</p>
      ) : additionalCount === 0 ? (
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
      <KeysTable keys={keys} canManage={canManage} ctx={ctx} />
      {!page.hasPrimary && !page.leakedMain ? <p className="muted">This account has no active main key.</p> : null}
      <p className="muted">
        Spend is this calendar month's usage (UTC) made with each key, the amount its limit is checked against; Billing has the history. Keys unused for{" "}
        {page.idleDays} days are marked idle.
      </p>
      {canManage && page.hasPrimary ? (
        <p className="muted">
          {`The main key's ⋯ menu: Regenerate stops the old key at once (do that if it leaked); Roll makes a new one while the old one keeps working for ${page.rollWindows
            .map((w) => w.label)
            .join(", ")
            .replace(/, ([^,]*)$/, " or $1")}, so you can switch over without downtime.`}
        </p>
      ) : null}
      {!canManage ? <p className="muted">You can see this account's keys. Only its owners and admins can create, delete or regenerate them.</p> : null}

      <CheckKeyForm
        ref={checkRef}
        answer={outcome?.check?.answer ?? null}
        error={outcome?.check?.error ?? null}
        nonce={outcome?.check ? JSON.stringify(outcome.check) : "check"}
      />
    </section>
  );
}

function Revealed({ revealed, apiBase }: { revealed: RevealedKey; apiBase: string }) {
  return (
    <section aria-labelledby="revealed-h" className="stack reveal">
      <h2 id="revealed-h">{revealed.kind === "main" ? "Your new main key" : `New key “${revealed.name}”`}</h2>
      {revealed.how === "regenerated" ? <p>The previous main key has stopped working.</p> : null}
      {revealed.how === "created" ? <p>This is the account's main key now: put it wherever the old one was used.</p> : null}
      {revealed.previous ? (
        <p>
          {`The previous main key (${revealed.previous.display}) keeps working until ${revealed.previous.until} (${revealed.previous.inWords}), then stops. `}
          Switch everything to the new key before then, or stop the old one now from its ⋯ menu below.
        </p>
      ) : null}
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
  );
}

/** The main key was found public and revoked, and the account has no other: say where, and offer a new one right here. */
function LeakedMainKey({ page, ctx }: { page: ApiKeysPage; ctx: ConfirmContext }) {
  const hydrated = useHydrated();
  const leaked = page.leakedMain!;
  const text = keyConfirmation("regenerate", null, ctx);
  return (
    <section className="alert error" aria-labelledby="leaked-main-h">
      <h2 id="leaked-main-h" style={{ marginTop: 0 }}>
        Your main key was found public and revoked
      </h2>
      <p>
        {`The main key ${leaked.display} was found at `}
        {leaked.leakedLink ? (
          <a href={leaked.leakedLink} target="_blank" rel="noopener noreferrer nofollow">
            {leaked.leakedUrl}
          </a>
        ) : (
          <span className="mono">{leaked.leakedUrl ?? "an unknown address"}</span>
        )}
        {leaked.revokedAt ? (
          <>
            {" and revoked on "}
            <When at={leaked.revokedAt} />
          </>
        ) : null}
        . Every request that uses it is refused. Remove it from there too: it can never work again, but it is still public.
      </p>
      {page.canManage ? (
        <>
          <p>Create a new main key and put it wherever the old one was used.</p>
          {hydrated ? (
            <ConfirmAction label={text.trigger} title={text.title} tone="normal" description={<p>{text.body}</p>} triggerClassName="btn primary">
              <KeyActionForm kind="regenerate" keyTarget={null} ctx={ctx} where="leaked" />
            </ConfirmAction>
          ) : (
            <Link to={confirmHref("regenerate", leaked.id)} className="btn primary">
              {text.trigger}
            </Link>
          )}
        </>
      ) : (
        <p>Ask an owner or admin of this account to create a new main key.</p>
      )}
    </section>
  );
}

/** Keys issued before checksummed keys: how many, and how to replace each kind. */
function LegacyNudge({ page }: { page: ApiKeysPage }) {
  const n = page.legacyCount;
  const steps = [
    page.legacyMain ? "The main key: roll it (⋯ → Roll API key); the old one keeps working for the window you choose." : null,
    page.legacyAdditional ? "An additional key: create a new one, switch to it, then delete the old one." : null,
  ].filter((s): s is string => s !== null);
  return (
    <section className="alert info legacy-nudge" aria-labelledby="legacy-h">
      <h2 id="legacy-h" style={{ marginTop: 0 }}>
        {n === 1
          ? "1 of your keys was issued before checksummed keys; roll or replace it"
          : `${n} of your keys were issued before checksummed keys; roll or replace them`}
      </h2>
      <p>
        Newer keys end in a checksum, so secret scanners (GitHub's among them) recognise a leaked Switchboard key and have it revoked at once, and a mistyped
        key can be told from a real one. Keys marked “old format” below have none.
      </p>
      {page.canManage ? (
        <ul>
          {steps.map((s) => (
            <li key={s}>{s}</li>
          ))}
        </ul>
      ) : (
        <p>Ask an owner or admin of this account to replace them.</p>
      )}
    </section>
  );
}
