/**
 * Settings → API keys: the account's keys, what state each is in (expiry,
 * idle, old format, found public), its spend this month against its limit,
 * and each row's ⋯ menu for those who may manage them.
 */
import { Link } from "@remix-run/react";
import { useHydrated } from "remix-utils/use-hydrated";
import type { KeyAction, ListedKey } from "../../presenters/api-keys-page.server.js";
import { ConfirmAction } from "../confirm-dialog.js";
import { DataTable, type Column } from "../table.js";
import { Badge, When } from "../ui.js";
import { confirmHref, KeyActionForm, keyConfirmation, type ConfirmContext } from "./key-forms.js";
import { RowMenu } from "./row-menu.js";

export type KeyRow = ListedKey;

const KIND: Record<KeyRow["role"], string> = { primary: "main (primary)", rolled: "main (rolled)", additional: "additional" };

// Ids, dates and amounts stay on one line (cell-nowrap); names, addresses and states wrap inside a bounded width (cell-text).
const columns = (ctx: ConfirmContext, canManage: boolean): Column<KeyRow>[] => [
  // The kind under the name, not in a column of its own: the table keeps its ⋯ menus in view on a desktop.
  {
    header: "Name",
    cell: (k) => (
      <>
        {k.name}
        {/* A revoked main key is no longer the primary one (the account may have a new one since). */}
        <span className="key-sub">{k.state === "leaked" ? k.kind : KIND[k.role]}</span>
        {/* On a phone the Status column is scrolled out of view: what matters most is said where the row starts. */}
        {k.state === "leaked" ? <strong className="key-sub key-sub-alarm">revoked: found public</strong> : null}
      </>
    ),
    className: "cell-text",
  },
  { header: "Key", cell: (k) => <span className="mono">{k.display}</span>, className: "cell-nowrap" },
  // When and by whom in one column, for the same reason.
  {
    header: "Created",
    cell: (k) => (
      <>
        {/* The day is enough in a list (the minute is in the element, for those who need it). */}
        <time dateTime={k.createdAt} className="cell-nowrap">
          {k.createdAt.slice(0, 10)}
        </time>
        {k.createdBy ? <span className="key-sub">by {k.createdBy}</span> : null}
      </>
    ),
    className: "cell-text",
  },
  { header: "Last used", cell: (k) => k.lastUsed, className: "cell-nowrap" },
  {
    header: "Spend this month",
    cell: (k) => (k.state === "leaked" ? k.spentThisMonth : k.spendLimit ? `${k.spentThisMonth} of ${k.spendLimit}` : k.spentThisMonth),
    className: "cell-nowrap cell-num",
  },
  { header: "Status", cell: (k) => <KeyStatus keyRow={k} ctx={ctx} canManage={canManage} />, className: "cell-text key-status" },
];

const ACTIONS = (ctx: ConfirmContext): Column<KeyRow> => ({
  key: "actions",
  header: <span className="sr-only">Actions</span>,
  cell: (k) => (k.actions.length > 0 ? <KeyActions keyRow={k} ctx={ctx} /> : null),
  className: "cell-menu",
});

export function KeysTable({ keys, canManage, ctx }: { keys: readonly KeyRow[]; canManage: boolean; ctx: ConfirmContext }) {
  return (
    <DataTable
      caption="This account's API keys"
      columns={canManage ? [...columns(ctx, canManage), ACTIONS(ctx)] : columns(ctx, canManage)}
      rows={keys}
      rowKey={(k) => k.id}
      empty={<p>This account has no active keys.</p>}
    />
  );
}

/** What to do about a key found public, by what it was. */
function leakedNextStep(k: KeyRow, ctx: ConfirmContext): string {
  if (k.kind === "main" && k.role === "primary") {
    return ctx.hasPrimary ? "The account has a new main key since." : "Create a new main key (⋯) and put it wherever this one was used.";
  }
  return "Create a new key for whatever used it. Remove this one from that page too: it can never work again, but it is still public.";
}

function KeyStatus({ keyRow: k, ctx, canManage }: { keyRow: KeyRow; ctx: ConfirmContext; canManage: boolean }) {
  if (k.state === "leaked") {
    return (
      <div className="key-state">
        <p className="key-leaked">
          <strong>revoked: found public at</strong>{" "}
          {k.leakedLink ? (
            <a href={k.leakedLink} target="_blank" rel="noopener noreferrer nofollow">
              {k.leakedUrl}
            </a>
          ) : (
            <span className="mono">{k.leakedUrl ?? "an unknown address"}</span>
          )}
        </p>
        {k.revokedAt ? (
          <p className="muted">
            on <When at={k.revokedAt} />
          </p>
        ) : null}
        <p>{leakedNextStep(k, ctx)}</p>
      </div>
    );
  }
  // Idle or expired additional keys can go in one click (still confirmed, like every delete).
  const quickDelete = canManage && k.actions.includes("delete") && (k.idle || k.state === "expired");
  return (
    <div className="key-state">
      <p className="key-badges">
        <Badge value={k.state} />
        {k.idle ? <Badge value="idle" /> : null}
        {k.legacy ? <Badge value="old_format" /> : null}
      </p>
      {k.expiry ? <p className="key-expiry">{k.expiry}</p> : null}
      {k.idle ? <p className="muted">Not used for over 90 days.</p> : null}
      {quickDelete ? <QuickDelete keyRow={k} ctx={ctx} /> : null}
    </div>
  );
}

function QuickDelete({ keyRow, ctx }: { keyRow: KeyRow; ctx: ConfirmContext }) {
  const hydrated = useHydrated();
  const text = keyConfirmation("delete", keyRow, ctx);
  const why = keyRow.state === "expired" ? "expired" : "idle";
  if (!hydrated) {
    return (
      <Link to={confirmHref("delete", keyRow.id)} className="btn danger small" aria-label={`Delete ${why} key “${keyRow.name}”`}>
        Delete
      </Link>
    );
  }
  return (
    <ConfirmAction
      label="Delete"
      title={text.title}
      description={<p>{text.body}</p>}
      triggerClassName="btn danger small"
      triggerAriaLabel={`Delete ${why} key “${keyRow.name}”`}
    >
      <KeyActionForm kind="delete" keyTarget={keyRow} ctx={ctx} where={`quick-${keyRow.id}`} />
    </ConfirmAction>
  );
}

const menuLabel = (k: KeyRow) =>
  k.role === "primary"
    ? k.state === "leaked"
      ? "Key actions for the revoked main key"
      : "Key actions"
    : k.role === "rolled"
      ? "Key actions for the rolled main key"
      : `Key actions for ${k.name}`;

/** With JavaScript each item opens a confirmation dialog; without, it links to the confirmation step. */
function KeyActions({ keyRow, ctx }: { keyRow: KeyRow; ctx: ConfirmContext }) {
  const hydrated = useHydrated();
  return (
    <RowMenu label={menuLabel(keyRow)}>
      {keyRow.actions.map((kind: KeyAction) => {
        const text = keyConfirmation(kind, keyRow, ctx);
        return hydrated ? (
          <ConfirmAction key={kind} label={text.trigger} title={text.title} tone={text.tone} description={<p>{text.body}</p>} triggerClassName="row-menu-item">
            <KeyActionForm
              kind={kind}
              keyTarget={keyRow}
              ctx={ctx}
              where={`menu-${keyRow.id}`}
              limit={kind === "limit" ? { value: keyRow.spendLimitInput, error: null } : undefined}
            />
          </ConfirmAction>
        ) : (
          <Link key={kind} to={confirmHref(kind, keyRow.id)} className="row-menu-item">
            {text.trigger}
          </Link>
        );
      })}
    </RowMenu>
  );
}
