/**
 * A first request with a key just revealed: one curl line against /v1/account
 * (app/api/v1.server.ts), ready to paste. Without JavaScript the <pre> is plain
 * selectable text; with it, a button copies the line.
 */
import { CopyButton } from "../revealed-secret.js";

export function quickstartCommand(apiBase: string, key: string): string {
  return `curl -H "Authorization: Bearer ${key}" ${apiBase}/v1/account`;
}

export function Quickstart({ apiBase, apiKey }: { apiBase: string; apiKey: string }) {
  const command = quickstartCommand(apiBase, apiKey);
  return (
    <section className="stack" aria-labelledby="quickstart-h">
      <h3 id="quickstart-h">Quickstart: your first request</h3>
      <p>Run this in a terminal. It answers with the account's id, plan, status and balance as JSON.</p>
      <pre className="quickstart" id="quickstart-command">
        <code>{command}</code>
      </pre>
      <div className="row" style={{ alignItems: "center" }}>
        <CopyButton targetId="quickstart-command" what="command" value={command} />
      </div>
    </section>
  );
}
