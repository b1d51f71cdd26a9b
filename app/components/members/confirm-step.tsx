/**
 * The confirmation before a removal, leaving or hand-over: what it does, and
 * which keys stop working. With JavaScript a dialog (MemberConfirm); without,
 * a step the same link opens (ConfirmStep). Both say the same words and post
 * the same form.
 */
import { Form, Link } from "@remix-run/react";
import { AuthenticityTokenInput } from "remix-utils/csrf/react";
import { useHydrated } from "remix-utils/use-hydrated";
import type { ConfirmData, ConfirmKey } from "../../presenters/members-page.server.js";
import { ConfirmAction } from "../confirm-dialog.js";
import { Alert } from "../ui.js";
import { MEMBERS_PAGE } from "./action-data.js";

const cap = (s: string) => s[0]!.toUpperCase() + s.slice(1);

/** "their 2 keys will stop working", and which: the person who confirms knows what breaks. */
function KeysThatStop({ keys, whose }: { keys: ConfirmKey[]; whose: "their" | "its" | "your" }) {
  if (keys.length === 0) {
    return <p>{`No API keys of this account were made by ${whose === "your" ? "you" : whose === "its" ? "this login" : "them"}; its keys keep working.`}</p>;
  }
  return (
    <>
      <p>
        <strong>{`${cap(whose)} ${keys.length === 1 ? "key" : `${keys.length} keys`} will stop working`}</strong>
        {" at once, for every request that still uses "}
        {keys.length === 1 ? "it" : "them"}:
      </p>
      <ul className="stack" aria-label="Keys that stop working">
        {keys.map((k) => (
          <li key={k.id}>
            {k.kind === "main" ? (k.rolled ? "Previous main key (rolled)" : "Main key") : `“${k.name}”`} <code className="mono">{k.display}</code>
            {k.kind === "main" && !k.rolled ? " (the account gets a new main key, shown once" + (whose === "your" ? "" : " to you") + ")" : null}
          </li>
        ))}
      </ul>
    </>
  );
}

type Target = NonNullable<ConfirmData["target"]>;

/** The question, what happens, whose keys stop, and the button and intent that do it. */
export function memberConfirmation(kind: ConfirmData["kind"], { label }: Target, lastAccount: boolean) {
  return {
    remove: {
      title: `Remove ${label} from this account?`,
      body: "They lose access at once: their sessions on this account end, and they can no longer act on it. Their own accounts are not affected; if this was their only Switchboard account, their personal data (email address, name, sign-ins) is erased. To give them access again, invite them again.",
      whose: "their" as const,
      button: "Remove member",
      intent: "remove",
    },
    remove_login: {
      title: `Remove the login ${label}?`,
      body: "It can no longer sign in, and its sessions end at once. This cannot be undone; create a new login if the person needs access again.",
      whose: "its" as const,
      button: "Remove login",
      intent: "remove_login",
    },
    leave: {
      title: "Leave this account?",
      body: lastAccount
        ? "You lose access at once. This is your only Switchboard account, so your personal data (email address, name, sign-ins) is erased and you are signed out. You can sign in again later: you then start afresh, with an account of your own."
        : "You lose access at once and your sessions on it end; your other accounts are not affected. To come back, ask the owner or an admin to invite you again.",
      whose: "your" as const,
      button: "Leave account",
      intent: "leave",
    },
    handover: {
      title: `Hand ownership to ${label}?`,
      body: "They become the account's owner, and you become an admin. Only the new owner can hand ownership back.",
      whose: null,
      button: "Hand over ownership",
      intent: "handover",
    },
  }[kind];
}

/** What the step and the dialog say under their question. */
function ConfirmBody({ confirm }: { confirm: ConfirmData & { target: Target } }) {
  const text = memberConfirmation(confirm.kind, confirm.target, confirm.lastAccount);
  return (
    <>
      <p>{text.body}</p>
      {text.whose ? <KeysThatStop keys={confirm.target.keys} whose={text.whose} /> : null}
    </>
  );
}

function MemberActionForm({ confirm, cancel }: { confirm: ConfirmData & { target: Target }; cancel?: React.ReactNode }) {
  const text = memberConfirmation(confirm.kind, confirm.target, confirm.lastAccount);
  return (
    <Form method="post" action={MEMBERS_PAGE} className="row" style={{ marginTop: ".8rem" }}>
      <AuthenticityTokenInput />
      <input type="hidden" name="userId" value={confirm.target.id} />
      <button type="submit" name="intent" value={text.intent} className="btn danger">
        {text.button}
      </button>
      {cancel}
    </Form>
  );
}

/** Without JavaScript: the step `?confirm=…&user=…` opens. */
export function ConfirmStep({ confirm }: { confirm: ConfirmData }) {
  if (!confirm.target) {
    return (
      <Alert
        kind="info"
        lines={[
          confirm.kind === "leave"
            ? "The owner cannot leave the account. Hand ownership to an admin first."
            : "That person is not (or no longer) someone you can do this for; there is nothing to confirm.",
        ]}
      />
    );
  }
  const target = confirm.target;
  return (
    <section className="alert error" aria-labelledby="confirm-h">
      <h2 id="confirm-h" style={{ marginTop: 0 }}>
        {memberConfirmation(confirm.kind, target, confirm.lastAccount).title}
      </h2>
      <ConfirmBody confirm={{ ...confirm, target }} />
      <MemberActionForm
        confirm={{ ...confirm, target }}
        cancel={
          <Link to={MEMBERS_PAGE} className="btn">
            Cancel
          </Link>
        }
      />
    </section>
  );
}

/**
 * A removal's or leaving's trigger: with JavaScript a button opening the
 * confirmation dialog; without, the link to its step.
 */
export function MemberConfirm({
  confirm,
  label,
  ariaLabel,
  className,
}: {
  confirm: ConfirmData & { target: Target };
  label: string;
  ariaLabel?: string;
  className: string;
}) {
  const hydrated = useHydrated();
  if (!hydrated) {
    return (
      <Link to={`?confirm=${confirm.kind}${confirm.kind === "leave" ? "" : `&user=${confirm.target.id}`}`} className={className} aria-label={ariaLabel}>
        {label}
      </Link>
    );
  }
  return (
    <ConfirmAction
      label={label}
      triggerAriaLabel={ariaLabel}
      triggerClassName={className}
      title={memberConfirmation(confirm.kind, confirm.target, confirm.lastAccount).title}
      description={<ConfirmBody confirm={confirm} />}
    >
      <MemberActionForm confirm={confirm} />
    </ConfirmAction>
  );
}
