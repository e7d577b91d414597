/**
 * Text from a bundle or a request (a producer name, a level, a column name)
 * ends up in terminals, logs and error messages. Control characters in it
 * could move the cursor, recolour or erase what a terminal shows (faking a
 * "Signature verified" line), or split a log line in two. These helpers make
 * such text inert and short.
 */

/**
 * C0 controls (newline and tab included), DEL, C1 controls (0x9b starts an
 * escape sequence on some terminals), the Unicode line and paragraph
 * separators and the bidirectional overrides that reorder what is shown.
 */
// biome-ignore lint/suspicious/noControlCharactersInRegex: matching control characters is the point
const CONTROL = /[\u0000-\u001f\u007f-\u009f\u2028\u2029\u202a-\u202e\u2066-\u2069]/g;

/** `text` with every control character written as a visible escape (`\n`, `\x1b`, `\u202e`). */
export function escapeControl(text: string): string {
  return text.replace(CONTROL, (c) => {
    if (c === '\n') return '\\n';
    if (c === '\r') return '\\r';
    if (c === '\t') return '\\t';
    const code = c.charCodeAt(0);
    return code <= 0xff ? `\\x${code.toString(16).padStart(2, '0')}` : `\\u${code.toString(16).padStart(4, '0')}`;
  });
}

/** True when `text` holds a character {@link escapeControl} would escape. */
export function hasControl(text: string): boolean {
  CONTROL.lastIndex = 0;
  const found = CONTROL.test(text);
  CONTROL.lastIndex = 0;
  return found;
}

/** Most characters {@link preview} shows by default. */
export const PREVIEW_CHARS = 80;

/**
 * A value as short, escaped JSON for a message: at most `max` characters
 * (then `…`). Never throws and never walks more of the value than it shows:
 * a value nested 200,000 deep or a 600 kB string costs as much as a short one.
 */
export function preview(value: unknown, max = PREVIEW_CHARS): string {
  let out = '';
  const budget = max + 1;
  // Iterative, so depth costs no stack; stops as soon as the preview is full.
  const stack: unknown[] = [value];
  while (stack.length > 0 && out.length < budget) {
    const item = stack.pop();
    if (item instanceof Punctuation) out += item.text;
    else if (item === null || item === undefined) out += 'null';
    else if (typeof item === 'string') out += JSON.stringify(item.length > budget ? item.slice(0, budget) : item);
    else if (typeof item === 'number' || typeof item === 'boolean' || typeof item === 'bigint') out += String(item);
    else if (Array.isArray(item)) {
      out += '[';
      stack.push(new Punctuation(']'));
      for (let i = Math.min(item.length, budget) - 1; i >= 0; i--) {
        stack.push(item[i]);
        if (i > 0) stack.push(new Punctuation(','));
      }
    } else if (typeof item === 'object') {
      out += '{';
      const keys = Object.keys(item).slice(0, budget);
      stack.push(new Punctuation('}'));
      for (let i = keys.length - 1; i >= 0; i--) {
        const key = keys[i] as string;
        stack.push((item as Record<string, unknown>)[key]);
        stack.push(new Punctuation(`${JSON.stringify(key.length > budget ? key.slice(0, budget) : key)}:`));
        if (i > 0) stack.push(new Punctuation(','));
      }
    } else out += typeof item;
  }
  const escaped = escapeControl(out);
  return escaped.length > max || stack.length > 0 ? `${escaped.slice(0, max)}…` : escaped;
}

/** Brackets, commas and keys {@link preview} writes between values. */
class Punctuation {
  constructor(readonly text: string) {}
}

/** `items` joined with `separator`, at most `shown` of them, then "and N more". */
export function listSome(items: readonly string[], shown = 5, separator = ', '): string {
  return items.length <= shown ? items.join(separator) : `${items.slice(0, shown).join(separator)}${separator}and ${items.length - shown} more`;
}
