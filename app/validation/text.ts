/**
 * The one rule for text that crosses a boundary (JSON bodies, forms, query
 * strings, the inbound-mail hook, provider profiles): it must be well-formed
 * Unicode without NUL, or it is refused naming the field. Why both:
 * - PostgreSQL text cannot hold U+0000: a NUL reaching a query fails it, and
 *   the caller sees a 500/503 that no retry can fix.
 * - An unpaired UTF-16 surrogate (JSON's `"\ud800"`) or bytes that are not
 *   UTF-8 cannot be stored either, but instead of failing they are silently
 *   turned into U+FFFD on the way (node-postgres encodes to UTF-8, Buffer and
 *   URLSearchParams decode with replacement). Then two different inputs become
 *   one stored value: `"k1-\ud800"` would be remembered as `"k1-\ufffd"`, and
 *   that *other* idempotency key would be answered as a replay.
 * Nothing here repairs input silently, except `toStorableDisplayText`, for
 * display-only text we cannot refuse (a provider's idea of a person's name).
 */
import { z } from "zod";

export type TextProblem = "nul" | "unpaired_surrogate" | "invalid_utf8";

// ES2024 (Node ≥ 20); the project's TypeScript lib is ES2023.
type Es2024String = string & { isWellFormed(): boolean; toWellFormed(): string };

/** What is wrong with `s`, or null when it can be stored as it is. */
export function textProblem(s: string): TextProblem | null {
  if (s.includes("\u0000")) return "nul";
  if (!(s as Es2024String).isWellFormed()) return "unpaired_surrogate";
  return null;
}

/** Well-formed UTF-16 (no lone surrogate) and no U+0000: safe to store and to compare. */
export const isStorableText = (s: string): boolean => textProblem(s) === null;

const REASON: Record<TextProblem, string> = {
  nul: "must not contain the NUL character (U+0000)",
  unpaired_surrogate: "must be well-formed Unicode (it contains an unpaired surrogate, U+D800–U+DFFF)",
  invalid_utf8: "must be valid UTF-8",
};

/** "must not contain …": for messages that put the field's name in front themselves. */
export const textProblemReason = (problem: TextProblem): string => REASON[problem];

/** `<field> must not contain …`, one sentence naming the field. */
export const textProblemMessage = (field: string, problem: TextProblem): string => `${field} ${REASON[problem]}.`;

/**
 * The zod refinement: `z.string().max(100).superRefine(storableText("Name"))`.
 * With a label the message names it (`Name: must not …`); without one it is the
 * bare reason, for callers that prefix the issue's path themselves.
 */
export function storableText(label?: string) {
  return (value: string, ctx: z.RefinementCtx): void => {
    const problem = textProblem(value);
    if (problem)
      ctx.addIssue({ code: z.ZodIssueCode.custom, message: label ? `${label}: ${REASON[problem]}.` : REASON[problem], params: { textProblem: problem } });
  };
}

export interface TextFault {
  /** Where: JSON keys and array indexes from the root; a form field's name is one element. */
  path: (string | number)[];
  problem: TextProblem;
}

/** `a.b.0.c`, the notation zod's issue paths are reported in; the root is `body`. */
export const faultPath = (f: Pick<TextFault, "path">): string => (f.path.length === 0 ? "body" : f.path.join("."));

/**
 * The first string in a parsed JSON value that cannot be stored, keys included
 * (an object key is text too, and zod passes unknown keys through with
 * `.passthrough()`), or null. Iterative, so a deeply nested body cannot
 * overflow the stack.
 */
export function findTextFault(value: unknown): TextFault | null {
  // Each entry links to its parent, so the path is built only for the fault (not copied per node).
  type Node = { value: unknown; key: string | number | null; parent: Node | null };
  const pathOf = (n: Node | null, last?: string): (string | number)[] => {
    const path: (string | number)[] = last === undefined ? [] : [last];
    for (let at = n; at && at.key !== null; at = at.parent) path.push(at.key);
    return path.reverse();
  };
  const stack: Node[] = [{ value, key: null, parent: null }];
  while (stack.length > 0) {
    const node = stack.pop()!;
    const v = node.value;
    if (typeof v === "string") {
      const problem = textProblem(v);
      if (problem) return { path: pathOf(node), problem };
    } else if (Array.isArray(v)) {
      for (let i = v.length - 1; i >= 0; i--) stack.push({ value: v[i], key: i, parent: node });
    } else if (v !== null && typeof v === "object") {
      const entries = Object.entries(v);
      // Keys first, in order: a bad key is reported before anything inside the object.
      for (const [key] of entries) {
        const problem = textProblem(key);
        if (problem) return { path: pathOf(node, key), problem };
      }
      for (let i = entries.length - 1; i >= 0; i--) stack.push({ value: entries[i][1], key: entries[i][0], parent: node });
    }
  }
  return null;
}

/** The first form field whose name or text value cannot be stored (files' contents are not text). */
export function findFormFault(form: FormData): TextFault | null {
  for (const [name, value] of form) {
    const problem = textProblem(name) ?? (typeof value === "string" ? textProblem(value) : null);
    // The name is echoed in the refusal, so it is made printable there.
    if (problem) return { path: [toStorableDisplayText(name)], problem };
  }
  return null;
}

const strictUtf8 = new TextDecoder("utf-8", { fatal: true, ignoreBOM: true });

/** Bytes → text, or null when they are not UTF-8 (instead of U+FFFD in their place). */
export function decodeUtf8(bytes: Uint8Array): string | null {
  try {
    return strictUtf8.decode(bytes);
  } catch {
    return null;
  }
}

/**
 * An `application/x-www-form-urlencoded` body's first field whose name or
 * value, once percent-decoded, is not UTF-8 (`%ED%A0%80` is how a lone
 * surrogate travels in a form; `%FF` is no character at all), or null. The
 * WHATWG parser (request.formData()) would quietly make those U+FFFD, so this
 * looks at the bytes. Returns the field's name as the parser would read it.
 */
export function findUrlEncodedFault(body: Uint8Array): TextFault | null {
  let start = 0;
  while (start <= body.length) {
    let end = body.indexOf(0x26 /* & */, start);
    if (end === -1) end = body.length;
    if (end > start) {
      const pair = body.subarray(start, end);
      const eq = pair.indexOf(0x3d /* = */);
      const name = percentDecode(eq === -1 ? pair : pair.subarray(0, eq));
      const value = eq === -1 ? new Uint8Array() : percentDecode(pair.subarray(eq + 1));
      if (decodeUtf8(name) === null || decodeUtf8(value) === null) {
        return { path: [new TextDecoder().decode(name)], problem: "invalid_utf8" };
      }
    }
    start = end + 1;
  }
  return null;
}

const hexValue = (b: number) => (b >= 0x30 && b <= 0x39 ? b - 0x30 : b >= 0x41 && b <= 0x46 ? b - 0x37 : b >= 0x61 && b <= 0x66 ? b - 0x57 : -1);

/** The urlencoded parser's byte step: `+` is a space, `%XX` a byte, anything else itself. */
function percentDecode(bytes: Uint8Array): Uint8Array {
  const out = new Uint8Array(bytes.length);
  let n = 0;
  for (let i = 0; i < bytes.length; i++) {
    const b = bytes[i];
    if (b === 0x2b) out[n++] = 0x20;
    else if (b === 0x25 && i + 2 < bytes.length && hexValue(bytes[i + 1]) >= 0 && hexValue(bytes[i + 2]) >= 0) {
      out[n++] = hexValue(bytes[i + 1]) * 16 + hexValue(bytes[i + 2]);
      i += 2;
    } else out[n++] = b;
  }
  return out.subarray(0, n);
}

/**
 * For display-only text from elsewhere that must not fail a sign-in (a
 * provider's name for a person): NUL removed, lone surrogates as U+FFFD. Never
 * for identifiers (an email, a subject, a key): those are refused instead,
 * since repairing them could make two of them one.
 */
export function toStorableDisplayText(s: string): string {
  return (s.replaceAll("\u0000", "") as Es2024String).toWellFormed();
}
