import { randomBytes } from 'node:crypto';
import { styleText } from 'node:util';
import { escapeControl } from '@modelbundle/core/internal';

type Style = 'red' | 'green' | 'yellow' | 'bold' | 'dim' | 'cyan';

/** Colours only on a terminal, and never when NO_COLOR is set (https://no-color.org). */
export function colorEnabled(stream: NodeJS.WriteStream): boolean {
  const noColor = process.env.NO_COLOR;
  return stream.isTTY === true && (noColor === undefined || noColor === '');
}

/**
 * What stands for ESC in the colour codes {@link paint} makes, until {@link terminalText}
 * writes them: a private-use character and a random nonce, so text from a bundle cannot forge one.
 */
const ESC_MARK = `\ue000${randomBytes(8).toString('hex')}`;

/** `text` in `style` when the stream shows colours, else plain; control characters in `text` are escaped. */
export function paint(stream: NodeJS.WriteStream, style: Style, text: string): string {
  const safe = escapeControl(text);
  return colorEnabled(stream) ? styleText(style, safe).replaceAll('\x1b', ESC_MARK) : safe;
}

/**
 * A line for a terminal: every control character escaped (a bundle's producer name, a level,
 * a section name could otherwise move the cursor, erase or recolour what is shown, or add a line),
 * except the colour codes {@link paint} made.
 */
export function terminalText(line: string): string {
  return escapeControl(line).replaceAll(ESC_MARK, '\x1b');
}

/** Writes one line to stdout, with control characters escaped ({@link terminalText}). */
export function out(line = ''): void {
  process.stdout.write(`${terminalText(line)}\n`);
}

/** Writes `value` as pretty JSON to stdout: the stable `--json` output. */
export function outJson(value: unknown): void {
  process.stdout.write(`${JSON.stringify(value, null, 2)}\n`);
}

/** Writes a warning line to stderr. */
export function warn(message: string): void {
  process.stderr.write(`${terminalText(`${paint(process.stderr, 'yellow', 'warning:')} ${message}`)}\n`);
}

/** Human size: 1536 → "1.5 KiB". */
export function formatBytes(bytes: number): string {
  const units = ['B', 'KiB', 'MiB', 'GiB', 'TiB'];
  let value = bytes;
  let unit = 0;
  while (value >= 1024 && unit < units.length - 1) {
    value /= 1024;
    unit++;
  }
  return unit === 0 ? `${bytes} B` : `${value.toFixed(1)} ${units[unit]}`;
}

/** Aligns rows of cells into columns (first row is the heading). */
export function table(rows: readonly (readonly string[])[]): string[] {
  const widths: number[] = [];
  for (const row of rows) {
    row.forEach((cell, i) => {
      widths[i] = Math.max(widths[i] ?? 0, cell.length);
    });
  }
  return rows.map((row) =>
    row
      .map((cell, i) => (i === row.length - 1 ? cell : cell.padEnd(widths[i] ?? 0)))
      .join('  ')
      .trimEnd(),
  );
}
