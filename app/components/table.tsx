/**
 * The console's and settings' tables: a caption (read by screen readers,
 * visible or not), column headers, an empty state instead of an empty table,
 * and a focusable scrolling region so a wide table scrolls inside itself.
 */
import { EmptyState } from "./ui.js";

export interface Column<R> {
  /** Header text. */
  header: React.ReactNode;
  /** The cell for one row. */
  cell: (row: R) => React.ReactNode;
  /** Stable key for React; defaults to the header when it is a string. */
  key?: string;
  className?: string;
}

export function DataTable<R>({
  caption,
  captionVisible = false,
  columns,
  rows,
  rowKey,
  empty,
}: {
  caption: string;
  captionVisible?: boolean;
  columns: readonly Column<R>[];
  rows: readonly R[];
  rowKey: (row: R) => string;
  /** Shown instead of the table when there are no rows. */
  empty: React.ReactNode;
}) {
  if (rows.length === 0) return <EmptyState>{empty}</EmptyState>;
  return (
    <div className="table-scroll" role="region" aria-label={caption} tabIndex={0}>
      <table>
        <caption className={captionVisible ? undefined : "sr-only"}>{caption}</caption>
        <thead>
          <tr>
            {columns.map((c, i) => (
              <th key={c.key ?? (typeof c.header === "string" ? c.header : i)} scope="col" className={c.className}>
                {c.header}
              </th>
            ))}
          </tr>
        </thead>
        <tbody>
          {rows.map((r) => (
            <tr key={rowKey(r)}>
              {columns.map((c, i) => (
                <td key={c.key ?? (typeof c.header === "string" ? c.header : i)} className={c.className}>
                  {c.cell(r)}
                </td>
              ))}
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}
