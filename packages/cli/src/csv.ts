import { escapeControl } from '@modelbundle/core/internal';

/**
 * Cells a spreadsheet would run as a formula when the CSV is opened: those
 * starting with `=`, `+`, `-`, `@`, a tab or a carriage return (OWASP's list).
 * A level name such as `=HYPERLINK("http://evil", "x")` would otherwise
 * become a live link, or worse, in whoever opens the predictions.
 */
const FORMULA_START = /^[=+\-@\t\r]/;

/**
 * One CSV cell: a value that could start a formula gets a leading `'`
 * (spreadsheets show the text, and do not evaluate it), except plain numbers
 * such as `-1.5`, which stay numbers. Control characters are escaped (`\n`
 * becomes the two characters `\` `n`), so a cell never spans lines on a
 * terminal; cells with a comma or a quote are quoted (RFC 4180).
 */
export function csvCell(value: unknown): string {
  let text = value === null || value === undefined ? '' : typeof value === 'object' ? JSON.stringify(value) : String(value);
  if (FORMULA_START.test(text) && !(typeof value === 'number' || /^-?\d+(\.\d+)?([eE][-+]?\d+)?$/.test(text))) text = `'${text}`;
  text = escapeControl(text);
  return /[",]/.test(text) ? `"${text.replace(/"/g, '""')}"` : text;
}

/** Rows of objects as CSV lines: a heading of every key seen, then one line per row ({@link csvCell}). */
export function toCsv(rows: readonly Record<string, unknown>[]): string[] {
  const columns = [...new Set(rows.flatMap((row) => Object.keys(row)))];
  return [columns.map(csvCell).join(','), ...rows.map((row) => columns.map((c) => csvCell(row[c])).join(','))];
}
