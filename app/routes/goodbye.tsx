/** Where a person lands after confirming the deletion of their account: signed out, told what happens next. */
import type { MetaFunction } from "@remix-run/node";
import { TopBar } from "../components/ui.js";
import { pageTitle } from "../page-title.js";

export const meta: MetaFunction = () => pageTitle("Your account is being deleted");

export default function Goodbye() {
  return (
    <>
      <TopBar links={[]} />
      <main className="page narrow">
        <h1>Your account is being deleted</h1>
        <div className="card stack">
          <p>
            The deletion is under way. Your API keys have stopped working and you have been signed out everywhere. Within a few minutes we unsubscribe you from
            every mailing list and erase your personal data; you will get one last email when that starts.
          </p>
          <p>This cannot be undone, and the email address of this account cannot be used to create a new Switchboard account.</p>
          <p>
            <a href="/">Back to Switchboard</a>
          </p>
        </div>
      </main>
    </>
  );
}
