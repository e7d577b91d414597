import { readPtype } from '@modelbundle/core';
import { buildOpenApi, bundleExample, exampleRow, ptypeToRowSchema } from '@modelbundle/serve';
import { describe, expect, it } from 'vitest';

describe('ptypeToRowSchema', () => {
  it('describes exactly the rows checkRows accepts: types, enums, nullable columns, the optional outcome', () => {
    const ptype = readPtype({
      columns: [
        { name: 'a', type: 'double' },
        { name: 'b', type: 'factor', levels: ['x', 'y'], nullable: true },
      ],
      outcome: { name: 'y', type: 'string' },
    });
    const schema = ptypeToRowSchema(ptype);
    expect(schema).toEqual({
      type: 'object',
      properties: {
        a: { type: 'number' },
        b: { type: ['string', 'null'], enum: ['x', 'y', null], description: 'null: a missing value, filled in by the model.' },
        y: { description: 'The outcome column: allowed, and ignored.' },
      },
      required: ['a', 'b'],
      additionalProperties: false,
    });
    expect(exampleRow(schema)).toEqual({ a: 0, b: 'x' });
    expect(ptypeToRowSchema(ptype, { unseenLevels: 'zero' }).properties).toMatchObject({ b: { type: ['string', 'null'], examples: ['x', 'y'] } });
  });

  it('reads tensor inputs as nested arrays without the batch dimension', () => {
    const schema = ptypeToRowSchema(readPtype({ inputs: [{ name: 'image', shape: [null, 2, 3], dtype: 'int32' }], outputs: [] }));
    expect(schema.properties).toEqual({
      image: { type: 'array', minItems: 2, maxItems: 2, items: { type: 'array', minItems: 3, maxItems: 3, items: { type: 'integer' } } },
    });
    expect(exampleRow(schema)).toEqual({
      image: [
        [0, 0, 0],
        [0, 0, 0],
      ],
    });
  });

  it('leaves rows open without a ptype, and uses the middle of a range as the example', () => {
    expect(ptypeToRowSchema(null)).toEqual({ type: 'object', additionalProperties: true });
    const schema = ptypeToRowSchema(readPtype([{ name: 'age', type: 'integer', min: 10, max: 20 }]));
    expect(schema.properties).toEqual({ age: { type: 'integer', minimum: 10, maximum: 20 } });
    expect(exampleRow(schema)).toEqual({ age: 15 });
  });
});

describe('bundleExample', () => {
  it('prefers the row stored in metadata.example when it is a small object', () => {
    const schema = ptypeToRowSchema(readPtype([{ name: 'a', type: 'number' }]));
    expect(bundleExample({ example: { a: 42 } }, schema)).toEqual({ a: 42 });
    expect(bundleExample({ example: 'not a row' }, schema)).toEqual({ a: 0 });
    expect(bundleExample({ example: { a: 'x'.repeat(70_000) } }, schema)).toEqual({ a: 0 });
    expect(bundleExample({}, schema)).toEqual({ a: 0 });
  });
});

describe('the size of /openapi.json', () => {
  it('stays under 1 MiB for the largest ptype readPtype accepts', () => {
    const levels = Array.from({ length: 20 }, (_, j) => `level-${'v'.repeat(40)}-${j}`);
    const declared = Array.from({ length: 230 }, (_, i) => ({ name: `column-${'c'.repeat(40)}-${i}`, type: 'string', levels }));
    const ptype = readPtype(declared);
    expect(JSON.stringify(ptype).length).toBeGreaterThan(200_000);
    const header = { kind: 'x.y', created: '2026-01-01T00:00:00.000Z', serializer: { version: '1.0.0' }, metadata: {} } as never;
    const api = buildOpenApi({ header, ptype, types: ['class'], bodyLimit: 1 << 20, maxRows: 10_000, unseenLevels: 'error' });
    expect(JSON.stringify(api).length).toBeLessThan(1024 * 1024);
  });
});
