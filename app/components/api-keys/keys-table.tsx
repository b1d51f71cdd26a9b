/** Settings → API keys: the account's keys, with each row's ⋯ menu for those who may manage them. */
import { Link } from "@remix-run/react";
import { Badge, When } from "../ui.js";

export interface KeyRow {
  id: string;
  kind: "main" | "additional";
  name: string;
  display: string;
  createdAt: string | Date;
  createdBy: string | null;
  lastUsed: string;
  status: string;
}

export function KeysTable({ keys, canManage }: { keys: readonly KeyRow[]; canManage: boolean }) {
  return (
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
                    {k.kind === "main" ? <Link to="?confirm=regenerate">Regenerate API key</Link> : <Link to={`?confirm=delete&key=${k.id}`}>Delete key</Link>}
                  </details>
                </td>
              ) : null}
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}
