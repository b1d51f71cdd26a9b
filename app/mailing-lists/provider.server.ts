/**
 * The external mailing-list provider, behind a three-call interface. The
 * database is always the list; a provider, when configured, is a mirror that
 * the workflows keep in step. Contacts are keyed by our user id, so that
 * unsubscribing and erasing never send an address over the wire.
 */
import type { Config } from "../config.server.js";

export interface MailingProvider {
  /** Adds (or re-adds) the contact to the list. Idempotent. */
  subscribe(listId: string, contact: { id: string; email: string }): Promise<void>;
  /** Removes the contact from the list. Idempotent: an unknown contact is fine. */
  unsubscribe(listId: string, contactId: string): Promise<void>;
  /** Forgets the contact entirely (GDPR erasure at the provider). Idempotent. */
  eraseContact(contactId: string): Promise<void>;
}

/** A provider call that did not succeed; `retryable` says whether trying again can help. */
export class MailingProviderError extends Error {
  constructor(
    message: string,
    readonly retryable: boolean,
  ) {
    super(message);
    this.name = "MailingProviderError";
  }
}

const TIMEOUT_MS = 10_000;

/**
 * A generic provider REST API:
 *   PUT    {base}/lists/{listId}/members/{contactId}   body {"email": "..."}
 *   DELETE {base}/lists/{listId}/members/{contactId}
 *   DELETE {base}/contacts/{contactId}
 * Bearer-token auth; 2xx and 404 (already gone) on DELETE count as done.
 */
export function httpMailingProvider(options: { url: string; token: string | undefined; fetch?: typeof fetch }): MailingProvider {
  const doFetch = options.fetch ?? fetch;
  async function call(method: "PUT" | "DELETE", path: string, body?: unknown): Promise<void> {
    let res: Response;
    try {
      res = await doFetch(`${options.url}${path}`, {
        method,
        headers: {
          ...(options.token ? { Authorization: `Bearer ${options.token}` } : {}),
          ...(body ? { "Content-Type": "application/json" } : {}),
        },
        body: body ? JSON.stringify(body) : undefined,
        signal: AbortSignal.timeout(TIMEOUT_MS),
      });
    } catch (err) {
      // Never echo the request: the body may hold an address.
      throw new MailingProviderError(`mailing provider unreachable (${method} ${path.split("/")[1]}): ${(err as Error).name}`, true);
    }
    await res.body?.cancel();
    if (res.ok || (method === "DELETE" && res.status === 404)) return;
    const retryable = res.status === 408 || res.status === 429 || res.status >= 500;
    throw new MailingProviderError(`mailing provider answered ${res.status} to ${method} ${path.split("/")[1]}`, retryable);
  }
  const seg = encodeURIComponent;
  return {
    subscribe: (listId, contact) => call("PUT", `/lists/${seg(listId)}/members/${seg(contact.id)}`, { email: contact.email }),
    unsubscribe: (listId, contactId) => call("DELETE", `/lists/${seg(listId)}/members/${seg(contactId)}`),
    eraseContact: (contactId) => call("DELETE", `/contacts/${seg(contactId)}`),
  };
}

/** The configured provider, or undefined: then the database is the list and nothing is mirrored. */
export function mailingProviderFrom(config: Pick<Config, "mailingProvider">): MailingProvider | undefined {
  return config.mailingProvider ? httpMailingProvider(config.mailingProvider) : undefined;
}
