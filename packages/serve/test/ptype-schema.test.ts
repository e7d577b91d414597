import { bundleExample, exampleRow, ptypeToRowSchema } from '@modelbundle/serve';
import { describe, expect, it } from 'vitest';

describe('ptypeToRowSchema', () => {
  it.each([
    [
      'a column list',
      [
        { name: 'a', type: 'number' },
        { name: 'b', type: 'nominal', levels: ['x', 'y'] },
      ],
    ],
    [
      '{ columns }',
      {
        columns: [
          { name: 'a', type: 'double' },
          { name: 'b', type: 'factor', levels: ['x', 'y'] },
        ],
      },
    ],
    ['a name-to-type map', { a: 'numeric', b: { type: 'string', levels: ['x', 'y'] } }],
  ])('reads %s', (_, ptype) => {
    const schema = ptypeToRowSchema(ptype);
    expect(schema).toEqual({
      type: 'object',
      properties: { a: { type: 'number' }, b: { type: 'string', enum: ['x', 'y'] } },
      required: ['a', 'b'],
      additionalProperties: false,
    });
    expect(exampleRow(schema)).toEqual({ a: 0, b: 'x' });
  });

  it('reads tensor inputs as nested arrays without the batch dimension', () => {
    const schema = ptypeToRowSchema({ inputs: [{ name: 'image', shape: [null, 2, 3], dtype: 'int32' }], outputs: [] });
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

  it('passes a JSON Schema through and leaves unknown shapes open', () => {
    const given = { type: 'object', properties: { z: { type: 'boolean' } } };
    expect(ptypeToRowSchema(given)).toBe(given);
    for (const ptype of [null, 42, 'x', [], {}, [{ type: 'number' }]]) {
      expect(ptypeToRowSchema(ptype)).toEqual({ type: 'object', additionalProperties: true });
    }
  });

  it('keeps ranges and uses their middle as the example', () => {
    const schema = ptypeToRowSchema([{ name: 'age', type: 'integer', min: 10, max: 20 }]);
    expect(schema.properties).toEqual({ age: { type: 'integer', minimum: 10, maximum: 20 } });
    expect(exampleRow(schema)).toEqual({ age: 15 });
  });
});

describe('bundleExample', () => {
  it('prefers the row stored in metadata.example', () => {
    const schema = ptypeToRowSchema([{ name: 'a', type: 'number' }]);
    expect(bundleExample({ example: { a: 42 } }, schema)).toEqual({ a: 42 });
    expect(bundleExample({ example: 'not a row' }, schema)).toEqual({ a: 0 });
    expect(bundleExample({}, schema)).toEqual({ a: 0 });
  });
});
