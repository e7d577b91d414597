import { ModelBundleError } from '../errors.js';

/** Most cells in one CSV text (a bound on memory before any row limit applies). */
const MAX_CELLS = 10_000_000;

/**
 * Parses CSV text (RFC 4180: commas, double-quoted cells with `""` escapes,
 * LF or CRLF line ends, an optional byte-order mark) into records of cells.
 * Blank lines are skipped. Unterminated quotes and text after a closing
 * quote are INVALID_INPUT naming the line.
 */
export function parseCsv(text: string): string[][] {
  const records: string[][] = [];
  let record: string[] = [];
  let cell = '';
  let quoted = false;
  let afterQuote = false;
  let line = 1;
  let cells = 0;
  const endCell = () => {
    record.push(cell);
    cell = '';
    afterQuote = false;
    if (++cells > MAX_CELLS) throw new ModelBundleError('LIMIT_EXCEEDED', `The CSV holds more than ${MAX_CELLS} cells; send fewer rows at a time.`);
  };
  const endRecord = () => {
    endCell();
    if (!(record.length === 1 && record[0] === '')) records.push(record);
    record = [];
    line++;
  };
  const start = text.charCodeAt(0) === 0xfeff ? 1 : 0;
  for (let i = start; i < text.length; i++) {
    const c = text[i];
    if (quoted) {
      if (c !== '"') {
        if (c === '\n') line++;
        cell += c;
      } else if (text[i + 1] === '"') {
        cell += '"';
        i++;
      } else {
        quoted = false;
        afterQuote = true;
      }
      continue;
    }
    if (c === ',') endCell();
    else if (c === '\n') endRecord();
    else if (c === '\r' && text[i + 1] === '\n') continue;
    else if (c === '"' && cell === '' && !afterQuote) quoted = true;
    else if (afterQuote) throw csvError(`line ${line} has text after a closing quote`);
    else cell += c;
  }
  if (quoted) throw csvError(`a quoted cell that starts before line ${line} never ends`);
  if (cell !== '' || record.length > 0 || afterQuote) endRecord();
  return records;
}

function csvError(problem: string): ModelBundleError {
  return new ModelBundleError('INVALID_INPUT', `The CSV is not valid: ${problem}. Quote cells that hold commas, quotes or line breaks ("a ""b"", c").`);
}
