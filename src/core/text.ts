/**
 * Characters no text of ours has a use for, which only hide or disguise what is shown: C0 controls
 * other than tab, line feed and carriage return, DEL and the C1 controls (terminal escapes among
 * them), the bidirectional embeddings, overrides and isolates (U+202A–U+202E, U+2066–U+2069, which
 * make text read differently from what it holds), and halves of surrogate pairs without the other.
 * NUL is told apart by the callers (its own message, and PostgreSQL cannot store it at all).
 */
const UNSAFE_TEXT =
  // biome-ignore lint/suspicious/noControlCharactersInRegex: finding control characters is the point
  /[\u0001-\u0008\u000B\u000C\u000E-\u001F\u007F-\u009F\u202A-\u202E\u2066-\u2069]|[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;

/** Whether `value` holds a character of UNSAFE_TEXT. */
export function hasUnsafeText(value: string): boolean {
  return UNSAFE_TEXT.test(value);
}
