/**
 * Every form's fields and errors, so a zod issue becomes a field error in one
 * place (fieldErrorsOf) and every field is labelled, hinted and described the
 * same way (Field). The Epic Stack's Field / ErrorList, without conform.
 */
import type { ZodError } from "zod";

/** A form's errors by field name; the first issue of each field wins. */
export type FieldErrors<F extends string = string> = Partial<Record<F, string>>;

/**
 * The zod issues of a failed parse, as field errors for the fields the form
 * shows. An issue on a field the form does not show goes to `formError`.
 */
export function fieldErrorsOf<F extends string>(error: ZodError, fields: readonly F[]): { fieldErrors: FieldErrors<F>; formError: string | null } {
  const fieldErrors: FieldErrors<F> = {};
  let formError: string | null = null;
  for (const issue of error.issues) {
    const field = issue.path[0];
    if (typeof field === "string" && (fields as readonly string[]).includes(field)) {
      if (!fieldErrors[field as F]) fieldErrors[field as F] = issue.message;
    } else if (!formError) {
      formError = issue.message;
    }
  }
  return { fieldErrors, formError };
}

/** The message under a field; its id is what the input's aria-describedby names. */
export function FieldError({ id, error }: { id: string; error: string | null | undefined }) {
  if (!error) return null;
  return (
    <div id={id} className="field-error" role="alert">
      {error}
    </div>
  );
}

/** aria-describedby for a field: its error first, then its hint. */
const describedBy = (id: string, hint: React.ReactNode, error: string | null | undefined) =>
  [error ? `${id}-error` : null, hint ? `${id}-hint` : null].filter(Boolean).join(" ") || undefined;

function HintAndError({ id, hint, error }: { id: string; hint: React.ReactNode; error: string | null | undefined }) {
  return (
    <>
      {hint ? (
        <div id={`${id}-hint`} className="hint">
          {hint}
        </div>
      ) : null}
      <FieldError id={`${id}-error`} error={error} />
    </>
  );
}

type InputProps = Omit<React.InputHTMLAttributes<HTMLInputElement>, "id" | "aria-invalid" | "aria-describedby">;

/**
 * A labelled input with an optional hint and its error, wired for screen readers
 * (aria-invalid, aria-describedby naming the error first, then the hint).
 */
export function Field({
  id,
  label,
  hint,
  error,
  input,
  textarea,
  className,
}: {
  /** Extra classes on the wrapper (e.g. "grow" in a row of fields). */
  className?: string;
  id: string;
  label: React.ReactNode;
  hint?: React.ReactNode;
  error?: string | null;
  input?: InputProps;
  /** A textarea instead of an input. */
  textarea?: Omit<React.TextareaHTMLAttributes<HTMLTextAreaElement>, "id" | "aria-invalid" | "aria-describedby">;
}) {
  const described = describedBy(id, hint, error);
  const aria = { "aria-invalid": error ? true : undefined, "aria-describedby": described };
  return (
    <div className={className ? `field ${className}` : "field"}>
      <label htmlFor={id}>{label}</label>
      {textarea ? <textarea id={id} {...aria} {...textarea} /> : <input id={id} {...aria} {...input} />}
      <HintAndError id={id} hint={hint} error={error} />
    </div>
  );
}

/** A labelled select, wired like Field. */
export function SelectField({
  id,
  label,
  hint,
  error,
  options,
  select,
}: {
  id: string;
  label: React.ReactNode;
  hint?: React.ReactNode;
  error?: string | null;
  options: readonly { value: string; label: string }[];
  select?: Omit<React.SelectHTMLAttributes<HTMLSelectElement>, "id" | "aria-invalid" | "aria-describedby">;
}) {
  const described = describedBy(id, hint, error);
  return (
    <div className="field">
      <label htmlFor={id}>{label}</label>
      <select id={id} aria-invalid={error ? true : undefined} aria-describedby={described} {...select}>
        {options.map((o) => (
          <option key={o.value} value={o.value}>
            {o.label}
          </option>
        ))}
      </select>
      <HintAndError id={id} hint={hint} error={error} />
    </div>
  );
}
