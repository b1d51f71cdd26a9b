/**
 * Step-up in the console (app/auth/step-up.server.ts decides): the notice that
 * asks for a fresh sign-in, and the form values kept across it. Client-safe:
 * types and components only.
 */
import { Form, useLocation, useNavigation, useRouteLoaderData } from "@remix-run/react";
import { useRef } from "react";
import { AuthenticityTokenInput } from "remix-utils/csrf/react";
import { Alert } from "./ui.js";
import { ProviderSignInButtons } from "./provider-sign-in.js";
import { providerName } from "../models/sign-in-method.js";

/** What the console layout's loader says about a console action that asked for a fresh sign-in. */
export interface StepUpView {
  /** The page the form is on (the stash is only shown there). */
  path: string;
  /** The form's intent, as posted. */
  intent: string;
  /** The button's words, e.g. "Change plan". */
  label: string;
  /** What the form held (non-secret fields only), to fill it in again. */
  values: Record<string, string>;
  /** The form's heading id, to scroll to. */
  anchor: string | null;
  /** true: the sign-in is still too old, so "Sign in again" is offered; false: just signed in again. */
  signInNeeded: boolean;
  minutes: number;
  /** The provider of the last sign-in (null: offer both) and where the sign-in comes back to. */
  signIn: { provider: "google" | "github" | null; next: string };
}

/**
 * The step-up view for this page, kept while the page revalidates: the layout
 * hands the stash out once (then drops the cookie), and live pages reload their
 * data every few seconds. Forgotten at the next form submission or page change.
 */
export function useStepUp(intent?: string): StepUpView | null {
  const fromLoader = (useRouteLoaderData("routes/console") as { stepUp?: StepUpView | null } | undefined)?.stepUp ?? null;
  const { pathname } = useLocation();
  const navigation = useNavigation();
  const kept = useRef<StepUpView | null>(null);
  if (fromLoader) kept.current = fromLoader;
  else if (navigation.state === "submitting" || kept.current?.path !== pathname) kept.current = null;
  const view = kept.current;
  return view && (intent === undefined || view.intent === intent) ? view : null;
}

/** Above the console page, where the layout renders it. */
export function StepUpNotice() {
  const view = useStepUp();
  if (!view) return null;
  return (
    <div className="page" style={{ paddingBottom: 0 }} aria-live="polite">
      <StepUpMessage view={view} />
    </div>
  );
}

function StepUpMessage({ view }: { view: StepUpView }) {
  if (!view.signInNeeded) {
    return (
      <div className="alert ok" role="status">
        <p>{`You signed in again. Nothing has been done yet: check the “${view.label}” form and press its button once more.`}</p>
        {view.anchor ? (
          <p>
            <a href={`#${view.anchor}`}>Go to the form</a>
          </p>
        ) : null}
      </div>
    );
  }
  const next = view.signIn.next + (view.anchor ? `#${view.anchor}` : "");
  return (
    <div className="stack">
      <Alert
        kind="info"
        lines={[
          `For your security, “${view.label}” needs a sign-in from the last ${view.minutes} minutes. Nothing was changed.`,
          "Sign in again: you come back to this page with the form filled in as you left it, and press the button once more.",
        ]}
      />
      {view.signIn.provider ? (
        // reloadDocument: the answer is a redirect to the provider (another origin).
        <Form method="post" reloadDocument action={`/auth/${view.signIn.provider}?next=${encodeURIComponent(next)}`}>
          <AuthenticityTokenInput />
          <button type="submit" className="btn primary">
            {`Sign in again with ${providerName(view.signIn.provider)}`}
          </button>
        </Form>
      ) : (
        <ProviderSignInButtons next={next} />
      )}
    </div>
  );
}
