import {
  checkRows,
  closestValue,
  errorBody,
  flattenValue,
  MAX_ERROR_BODY_BYTES,
  ModelBundleError,
  PTYPE_LIMITS,
  type Ptype,
  parseCsv,
  parseRequestRows,
  parseRequestText,
  readPtype,
} from '@modelbundle/core';
import { expectCode } from '@modelbundle/testing';
import { describe, expect, it } from 'vitest';

const penguins: Ptype = {
  columns: [
    { name: 'island', type: 'string', levels: ['Biscoe', 'Dream', 'Torgersen'], nullable: true },
    { name: 'bill_length_mm', type: 'number', nullable: true },
    { name: 'year', type: 'integer', minimum: 2000 },
  ],
  outcome: { name: 'species', type: 'string', levels: ['Adelie', 'Gentoo'] },
};
const image: Ptype = { inputs: [{ name: 'pixels', shape: [null, 2, 3], dtype: 'float32' }] };
const twoInputs: Ptype = {
  inputs: [
    { name: 'a', shape: [null, 2], dtype: 'float32' },
    { name: 'b', shape: [null], dtype: 'int32' },
  ],
};

describe('readPtype', () => {
  it.each([
    [
      'a column list',
      [
        { name: 'a', type: 'numeric' },
        { name: 'b', type: 'factor', levels: ['x', 'y'] },
      ],
    ],
    [
      '{ columns }',
      {
        columns: [
          { name: 'a', type: 'double' },
          { name: 'b', type: 'nominal', levels: ['x', 'y'] },
        ],
      },
    ],
    ['a name-to-type map', { a: 'float64', b: { type: 'string', levels: ['x', 'y'] } }],
    ['a JSON Schema', { type: 'object', properties: { a: { type: 'number' }, b: { type: 'string', enum: ['x', 'y'] } }, required: ['a', 'b'] }],
  ])('reads %s into one Ptype', (_, declared) => {
    expect(readPtype(declared)).toEqual({
      columns: [
        { name: 'a', type: 'number' },
        { name: 'b', type: 'string', levels: ['x', 'y'] },
      ],
    });
  });

  it('reads tensor inputs, nullable columns and ranges; nothing declared is null', () => {
    expect(readPtype({ inputs: [{ name: 'x', shape: [-1, 3], dtype: 'int32' }], outputs: [] })).toEqual({
      inputs: [{ name: 'x', shape: [null, 3], dtype: 'int32' }],
      outputs: [],
    });
    expect(readPtype([{ name: 'age', type: 'integer', min: 1, max: 9, nullable: true }])).toEqual({
      columns: [{ name: 'age', type: 'integer', minimum: 1, maximum: 9, nullable: true }],
    });
    for (const nothing of [null, undefined, [], {}]) expect(readPtype(nothing)).toBeNull();
  });

  it.each([
    ['a number', 42],
    ['columns without names', [{ type: 'number' }]],
    ['a non-integer dimension', { inputs: [{ name: 'x', shape: [null, 2.5], dtype: 'float32' }] }],
    ['a huge dimension', { inputs: [{ name: 'x', shape: [null, 2 ** 40], dtype: 'float32' }] }],
    ['a huge row', { inputs: [{ name: 'x', shape: [null, 1 << 20, 1 << 20], dtype: 'float32' }] }],
    ['a rank of 9', { inputs: [{ name: 'x', shape: Array(9).fill(1), dtype: 'float32' }] }],
    ['too many columns', Array.from({ length: PTYPE_LIMITS.columns + 1 }, (_, i) => ({ name: `c${i}`, type: 'number' }))],
    ['too many levels', [{ name: 'c', type: 'string', levels: Array.from({ length: PTYPE_LIMITS.levels + 1 }, (_, i) => `l${i}`) }]],
    ['a long name', [{ name: 'n'.repeat(PTYPE_LIMITS.nameChars + 1), type: 'number' }]],
    ['a level that is no string', [{ name: 'c', type: 'string', levels: [{ nested: true }] }]],
    [
      'a duplicate column',
      [
        { name: 'c', type: 'number' },
        { name: 'c', type: 'number' },
      ],
    ],
    [
      'more than 256 KiB in all',
      Array.from({ length: 100 }, (_, i) => ({ name: `c${i}`, type: 'string', levels: Array.from({ length: 400 }, (_, j) => `${'v'.repeat(10)}${j}`) })),
    ],
  ])('refuses %s as MALFORMED', async (_, declared) => {
    const error = await expectCode(() => readPtype(declared), 'MALFORMED');
    expect(error.message.length).toBeLessThan(600);
  });
});

describe('parseRequestRows', () => {
  const row = { island: 'Dream', bill_length_mm: 40, year: 2008 };
  it.each([
    ['an array of rows', [row], 'rows'],
    ['instances', { instances: [row] }, 'instances'],
    ['inputs as rows', { inputs: [row] }, 'inputs'],
    ['inputs as columns', { inputs: { island: ['Dream'], bill_length_mm: [40], year: [2008] } }, 'inputs'],
    ['dataframe_split', { dataframe_split: { columns: ['island', 'bill_length_mm', 'year'], data: [['Dream', 40, 2008]], index: [0] } }, 'dataframe_split'],
    ['dataframe_records', { dataframe_records: [row] }, 'dataframe_records'],
  ])('reads %s', (_, body, format) => {
    expect(parseRequestRows(body)).toEqual({ rows: [row], format });
  });

  it('reads the type from the body and array rows for tensor models', () => {
    expect(parseRequestRows({ instances: [[1, 2]], type: 'prob' })).toEqual({ rows: [[1, 2]], format: 'instances', type: 'prob' });
  });

  it.each([
    ['a string', 'rows'],
    ['null', null],
    ['an object without rows', { rows: [] }],
    ['two row keys', { instances: [], inputs: [] }],
    ['an unknown key', { instances: [{}], extra: 1 }],
    ['ragged columns', { inputs: { a: [1, 2], b: [1] } }],
    ['a short split line', { dataframe_split: { columns: ['a', 'b'], data: [[1]] } }],
    ['no rows', []],
  ])('refuses %s with INVALID_INPUT', async (_, body) => {
    await expectCode(() => parseRequestRows(body), 'INVALID_INPUT');
  });

  it('refuses more rows than the limit with LIMIT_EXCEEDED', async () => {
    const error = await expectCode(() => parseRequestRows([{}, {}, {}], { maxRows: 2 }), 'LIMIT_EXCEEDED');
    expect(error.details).toEqual({ rows: 3, maxRows: 2 });
  });
});

describe('CSV', () => {
  it('parses quotes, escaped quotes, CRLF, a byte-order mark and blank lines', () => {
    expect(parseCsv('\ufeffa,b\r\n"x, y","say ""hi"""\r\n\r\n1,\n')).toEqual([
      ['a', 'b'],
      ['x, y', 'say "hi"'],
      ['1', ''],
    ]);
  });

  it('types cells by the ptype: numbers, null for empty or NA, strings kept', () => {
    const { rows } = parseRequestText('island,bill_length_mm,year\nDream,40.5,2008\nNA,,2009\n', 'csv', penguins);
    expect(rows).toEqual([
      { island: 'Dream', bill_length_mm: 40.5, year: 2008 },
      { island: null, bill_length_mm: null, year: 2009 },
    ]);
  });

  it('reads each line as one array row for a single-input tensor model', () => {
    const flat: Ptype = { inputs: [{ name: 'x', shape: [null, 3], dtype: 'float32' }] };
    expect(parseRequestText('x0,x1,x2\n1,2,3\n4,5,6\n', 'csv', flat).rows).toEqual([
      [1, 2, 3],
      [4, 5, 6],
    ]);
  });

  it.each([
    ['an unterminated quote', 'a\n"x'],
    ['text after a closing quote', 'a\n"x"y'],
    ['a short line', 'a,b\n1'],
    ['no rows', 'a,b\n'],
  ])('refuses %s with INVALID_INPUT', async (_, text) => {
    await expectCode(() => parseRequestText(text, 'csv', null), 'INVALID_INPUT');
  });
});

describe('checkRows', () => {
  it('accepts rows the schema admits: nulls where nullable, the outcome column', () => {
    const rows = [
      { island: 'Biscoe', bill_length_mm: null, year: 2007, species: 'Adelie' },
      { island: null, bill_length_mm: 1.5, year: 2000 },
    ];
    expect(checkRows(rows, penguins)).toEqual({ warnings: [], warningCount: 0 });
  });

  it('refuses an unseen or mis-cased level, naming column, value, allowed values and the closest one', async () => {
    const error = await expectCode(() => checkRows([{ island: 'torgersen', bill_length_mm: 1, year: 2008 }], penguins), 'INVALID_INPUT');
    expect(error.message).toContain(
      'row 0, column "island" ("torgersen") is not one of the allowed values [Biscoe, Dream, Torgersen]; did you mean "Torgersen"?',
    );
    expect(error.details.problems).toEqual([
      expect.objectContaining({ row: 0, column: 'island', value: '"torgersen"', allowed: ['Biscoe', 'Dream', 'Torgersen'], closest: 'Torgersen' }),
    ]);
    const mars = await expectCode(() => checkRows([{ island: 'Mars', bill_length_mm: 1, year: 2008 }], penguins), 'INVALID_INPUT');
    expect(mars.message).toContain('("Mars") is not one of the allowed values');
    expect(mars.message).not.toContain('did you mean');
  });

  it('with unseenLevels "zero", accepts the level and warns', () => {
    const check = checkRows([{ island: 'Mars', bill_length_mm: 1, year: 2008 }], penguins, { unseenLevels: 'zero' });
    expect(check.warningCount).toBe(1);
    expect(check.warnings[0]).toMatchObject({ code: 'UNSEEN_LEVEL', row: 0, column: 'island', value: '"Mars"' });
    expect(check.warnings[0]?.message).toContain('encoded as all zeros');
  });

  it('refuses null where not nullable, wrong types, out of range, missing and extra columns', async () => {
    const error = await expectCode(
      () =>
        checkRows(
          [
            { island: 'Dream', bill_length_mm: '40', year: null },
            { island: 'Dream', bill_length_mm: 1, year: 1999.5, islnd: 'x' },
            { island: 'Dream', year: 1990 },
          ],
          penguins,
        ),
      'INVALID_INPUT',
    );
    for (const part of [
      'row 0, column "bill_length_mm" is the string "40"; expected a number',
      'row 0, column "year" is null, but the column does not allow missing values',
      'row 1, column "year" (1999.5) is not a whole number',
      'row 1, column "islnd" is not a column of this model',
      'row 2, column "bill_length_mm" is missing',
    ]) {
      expect(error.message).toContain(part);
    }
    expect(error.message).toContain('and 1 more problem');
    expect(error.details.problemCount).toBe(6);
  });

  it('checks tensor rows: array rows for one input, objects for several, shapes, flat lists and integers', async () => {
    const nested = [
      [1, 2, 3],
      [4, 5, 6],
    ];
    expect(checkRows([nested, [1, 2, 3, 4, 5, 6], { pixels: nested }], image).warningCount).toBe(0);
    expect(checkRows([{ a: [1, 2], b: 3 }], twoInputs).warningCount).toBe(0);
    const error = await expectCode(
      () =>
        checkRows(
          [
            [1, 2],
            [
              [1, 2, 3],
              [4, 5],
            ],
            'x',
            [
              [1, 2, 3],
              [4, 5, Number.NaN],
            ],
          ],
          image,
        ),
      'INVALID_INPUT',
    );
    expect(error.message).toContain('row 0, input "pixels" has shape [2]; expected [2, 3] or a flat list of 6 numbers');
    expect(error.message).toContain('row 1, input "pixels" is a ragged list');
    expect(error.message).toContain('row 2 is "x"; expected a list of numbers');
    expect(error.message).toContain('row 3, input "pixels" holds NaN; expected finite numbers');
    const several = await expectCode(() => checkRows([[1, 2], { a: [1, 2], b: 1.5, c: 1 }], twoInputs), 'INVALID_INPUT');
    expect(several.message).toContain('expected an object keyed by input name (2 inputs)');
    expect(several.message).toContain('input "b" holds 1.5; expected integers');
    expect(several.message).toContain('input "c" is not an input of this model');
  });

  it('refuses a hostile, deeply nested value without overflowing the stack', async () => {
    let deep: unknown = 1;
    for (let i = 0; i < 100_000; i++) deep = [deep];
    const error = await expectCode(() => checkRows([deep], image), 'INVALID_INPUT');
    expect(error.message).toContain('nested more than 3 lists deep');
  });

  it('keeps the error body under 16 KiB for thousands of bad rows with long levels', () => {
    const levels = Array.from({ length: 5000 }, (_, i) => `${'level'.repeat(50)}${i}`);
    const ptype: Ptype = { columns: Array.from({ length: 50 }, (_, i) => ({ name: `${'c'.repeat(200)}${i}`, type: 'string', levels })) };
    const long = 'x'.repeat(10_000);
    const rows = Array.from({ length: 2000 }, () => Object.fromEntries(ptype.columns.map((c) => [c.name, long])));
    let error: unknown;
    try {
      checkRows(rows, ptype);
    } catch (caught) {
      error = caught;
    }
    expect(error).toBeInstanceOf(ModelBundleError);
    const body = JSON.stringify(errorBody(error as ModelBundleError));
    expect(Buffer.byteLength(body)).toBeLessThan(MAX_ERROR_BODY_BYTES);
    expect(body).toContain('more problems');
  });
});

describe('flattenValue and closestValue', () => {
  it('flattens in row-major order with the shape', () => {
    expect(
      flattenValue(
        [
          [[1], [2]],
          [[3], [4]],
        ],
        'v',
      ),
    ).toEqual({ flat: [1, 2, 3, 4], shape: [2, 2, 1] });
    expect(flattenValue(7, 'v')).toEqual({ flat: [7], shape: [] });
  });

  it('suggests a level regardless of case, or a near miss, and nothing for a far one', () => {
    expect(closestValue('torgersen', ['Biscoe', 'Dream', 'Torgersen'])).toBe('Torgersen');
    expect(closestValue('Dreem', ['Biscoe', 'Dream', 'Torgersen'])).toBe('Dream');
    expect(closestValue('Mars', ['Biscoe', 'Dream', 'Torgersen'])).toBeUndefined();
  });
});

describe('errorBody', () => {
  it('is { error: { code, message, details } } and drops details that would pass 16 KiB', () => {
    const small = new ModelBundleError('NOT_FOUND', 'No such thing.', { details: { path: '/x' } });
    expect(errorBody(small)).toEqual({ error: { code: 'NOT_FOUND', message: 'No such thing.', details: { path: '/x' } } });
    const big = new ModelBundleError('INVALID_INPUT', 'm'.repeat(50_000), { details: { blob: 'b'.repeat(50_000) } });
    const body = errorBody(big);
    expect(body.error.details).toEqual({ truncated: true });
    expect(Buffer.byteLength(JSON.stringify(body))).toBeLessThan(MAX_ERROR_BODY_BYTES);
  });
});
