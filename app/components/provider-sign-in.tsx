/** "Sign in with Google / GitHub": each a CSRF-protected form post that starts the OAuth dance, returning to `next`. */
import { Form } from "@remix-run/react";
import { AuthenticityTokenInput } from "remix-utils/csrf/react";

const PROVIDERS = [
  { id: "google", label: "Google" },
  { id: "github", label: "GitHub" },
] as const;

export function ProviderSignInButtons({ next }: { next: string }) {
  return (
    <div className="provider-buttons">
      {PROVIDERS.map((p) => (
        // reloadDocument: the answer is a redirect to the provider (another origin), so a plain form post, not a fetch.
        <Form key={p.id} method="post" reloadDocument action={`/auth/${p.id}?next=${encodeURIComponent(next)}`}>
          <AuthenticityTokenInput />
          <button type="submit" className="btn primary block">
            Sign in with {p.label}
          </button>
        </Form>
      ))}
    </div>
  );
}
