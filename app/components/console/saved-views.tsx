/**
 * A console list's saved views: this staff member's named filters (links that
 * open the list with them), a form to save the filters shown now under a name,
 * and a delete button per view. Plain POST forms with CSRF, so it works without
 * JavaScript; the list route's action answers both forms (services/saved-views.server.ts).
 */
import { Form, Link } from "@remix-run/react";
import { AuthenticityTokenInput } from "remix-utils/csrf/react";
import { Alert } from "../ui.js";

export interface SavedViewsProps {
  /** The list's name in words ("tickets"), for labels. */
  noun: string;
  views: readonly { id: string; name: string; href: string }[];
  /** The filters shown now, as the list's query string (what "Save view" keeps). */
  query: string;
  /** The href of the view shown now, if the filters are exactly one saved view's. */
  currentHref: string;
  outcome: { error: string | null; notice: string | null; nameError: string | null; name: string } | null;
}

export function SavedViews({ noun, views, query, currentHref, outcome }: SavedViewsProps) {
  const nameError = outcome?.nameError;
  return (
    <section className="card saved-views" aria-labelledby="saved-views-h">
      <h2 id="saved-views-h">Saved views</h2>
      {outcome?.error ? <Alert kind="error" lines={[outcome.error]} /> : null}
      {outcome?.notice ? <Alert kind="ok" lines={[outcome.notice]} /> : null}
      {views.length === 0 ? (
        <p className="muted">No saved views of {noun} yet. Filter the list, then save the filters under a name.</p>
      ) : (
        <ul className="saved-view-list">
          {views.map((v) => (
            <li key={v.id}>
              <Link to={v.href} aria-current={v.href === currentHref ? "page" : undefined}>
                {v.name}
              </Link>
              <Form method="post" className="inline">
                <AuthenticityTokenInput />
                <input type="hidden" name="id" value={v.id} />
                <button type="submit" name="intent" value="delete_view" className="btn" aria-label={`Delete view ${v.name}`}>
                  Delete
                </button>
              </Form>
            </li>
          ))}
        </ul>
      )}
      {/* Keyed on the answer: after a save the field starts empty; after a refusal it keeps what was typed. */}
      <Form method="post" className="row" key={outcome?.notice ?? "save"}>
        <AuthenticityTokenInput />
        <input type="hidden" name="query" value={query} />
        <div className="field grow">
          <label htmlFor="view-name">Save these filters as</label>
          <input
            id="view-name"
            name="name"
            type="text"
            required
            maxLength={60}
            autoComplete="off"
            defaultValue={nameError ? outcome?.name : ""}
            aria-invalid={nameError ? true : undefined}
            aria-describedby={nameError ? "view-name-error view-name-hint" : "view-name-hint"}
          />
          <div id="view-name-hint" className="hint">
            Up to 60 characters; only you see your views.
          </div>
          {nameError ? (
            <div id="view-name-error" className="field-error">
              {nameError}
            </div>
          ) : null}
        </div>
        <button type="submit" name="intent" value="save_view" className="btn">
          Save view
        </button>
      </Form>
    </section>
  );
}
