/** Settings → API keys: the account's keys, with each row's ⋯ menu for those who may manage them. */
import { Link } from "@remix-run/react";
import { useHydrated } from "remix-utils/use-hydrated";
import { ConfirmAction } from "../confirm-dialog.js";
import { DataTable, type Column } from "../table.js";
import { Badge, When } from "../ui.js";
import { KEYS_PAGE, KeyActionForm, keyConfirmation } from "./key-forms.js";
import { RowMenu } from "./row-menu.js";

export interface KeyRow {
  id: string;
  kind: "main" | "additional";
  name: string;
  display: string;
  createdAt: string | Date;
  createdBy: string | null;
  lastUsed: string;
  /** Usage debits this calendar month (UTC), formatted ("$12.50"). */
  spentThisMonth: string;
  status: string;
}

// Ids, dates and amounts stay on one line (cell-nowrap); names and addresses wrap inside a bounded width (cell-text).
const COLUMNS: Column<KeyRow>[] = [
  { header: "Name", cell: (k) => k.name, className: "cell-text" },
  { header: "Kind", cell: (k) => k.kind },
  { header: "Key", cell: (k) => <span className="mono">{k.display}</span>, className: "cell-nowrap" },
  { header: "Created", cell: (k) => <When at={k.createdAt} />, className: "cell-nowrap" },
  { header: "Created by", cell: (k) => k.createdBy ?? <span className="muted">—</span>, className: "cell-text" },
  { header: "Last used", cell: (k) => k.lastUsed, className: "cell-nowrap" },
  { header: "Spend this month", cell: (k) => k.spentThisMonth, className: "cell-nowrap cell-num" },
  { header: "Status", cell: (k) => <Badge value={k.status} /> },
];

const ACTIONS: Column<KeyRow> = {
  key: "actions",
  header: <span className="sr-only">Actions</span>,
  cell: (k) => <KeyActions keyRow={k} />,
  className: "cell-menu",
};

export function KeysTable({ keys, canManage }: { keys: readonly KeyRow[]; canManage: boolean }) {
  return (
    <DataTable
      caption="This account's API keys"
      columns={canManage ? [...COLUMNS, ACTIONS] : COLUMNS}
      rows={keys}
      rowKey={(k) => k.id}
      empty={<p>This account has no active keys.</p>}
    />
  );
}

/** With JavaScript each item opens a confirmation dialog; without, it links to the confirmation step. */
function KeyActions({ keyRow }: { keyRow: KeyRow }) {
  const hydrated = useHydrated();
  const kind = keyRow.kind === "main" ? "regenerate" : "delete";
  const text = keyConfirmation(kind, keyRow);
  return (
    <RowMenu label={keyRow.kind === "main" ? "Key actions" : `Key actions for ${keyRow.name}`}>
      {hydrated ? (
        <ConfirmAction label={text.button} title={text.title} description={<p>{text.body}</p>} triggerClassName="row-menu-item">
          <KeyActionForm kind={kind} keyTarget={keyRow} />
        </ConfirmAction>
      ) : (
        <Link to={kind === "regenerate" ? `${KEYS_PAGE}?confirm=regenerate` : `${KEYS_PAGE}?confirm=delete&key=${keyRow.id}`} className="row-menu-item">
          {text.button}
        </Link>
      )}
    </RowMenu>
  );
}
