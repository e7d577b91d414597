import type { Header } from '@modelbundle/core';
import { bundleExample, type JsonSchema, ptypeToRowSchema } from './ptype-schema.js';

/** What the OpenAPI document is generated from: the bundle's header and its predictor's types. */
export interface OpenApiSource {
  header: Header;
  /** Prediction types the predictor supports (the `type` parameter). */
  types: readonly string[];
  /** Request body limit in bytes, stated in the document. */
  bodyLimit: number;
}

const errorSchema: JsonSchema = {
  type: 'object',
  required: ['error'],
  properties: {
    error: {
      type: 'object',
      required: ['code', 'message'],
      properties: { code: { type: 'string' }, message: { type: 'string' }, details: { type: 'object' } },
    },
  },
};

/** Builds the OpenAPI 3.1 document of a server for one bundle, with the input rows described by the bundle's ptype. */
export function buildOpenApi({ header, types, bodyLimit }: OpenApiSource): Record<string, unknown> {
  const row = ptypeToRowSchema(header.ptype);
  const example = bundleExample(header.metadata, row);
  const title = typeof header.metadata.name === 'string' ? header.metadata.name : `${header.kind} model`;
  const errors = (statuses: Record<string, string>) =>
    Object.fromEntries(
      Object.entries(statuses).map(([status, description]) => [
        status,
        { description, content: { 'application/json': { schema: { $ref: '#/components/schemas/Error' } } } },
      ]),
    );
  const typeParameter = types.length > 0 ? { type: 'string', enum: [...types] } : { type: 'string' };
  return {
    openapi: '3.1.0',
    info: {
      title,
      version: header.serializer.version,
      description: `Predictions from a ${header.kind} bundle created ${header.created}. Send rows whose columns match the Row schema.`,
    },
    paths: {
      '/predict': {
        post: {
          summary: 'Predict one output row per input row',
          parameters: [{ name: 'type', in: 'query', required: false, schema: typeParameter, description: 'Prediction type; default: the model’s first.' }],
          requestBody: {
            required: true,
            description: `A JSON array of rows, or { "instances": [...] , "type"?: ... }. At most ${bodyLimit} bytes.`,
            content: {
              'application/json': {
                schema: {
                  oneOf: [
                    { type: 'array', minItems: 1, items: { $ref: '#/components/schemas/Row' } },
                    {
                      type: 'object',
                      required: ['instances'],
                      properties: { instances: { type: 'array', minItems: 1, items: { $ref: '#/components/schemas/Row' } }, type: typeParameter },
                    },
                  ],
                },
                example: [example],
              },
            },
          },
          responses: {
            '200': {
              description: 'One prediction per input row, in order.',
              content: {
                'application/json': {
                  schema: { type: 'object', required: ['predictions'], properties: { predictions: { type: 'array', items: { type: 'object' } } } },
                },
              },
            },
            ...errors({
              '400': 'Malformed JSON, or rows that do not match the prototype',
              '413': 'Body larger than the limit',
              '415': 'Content type other than application/json',
            }),
          },
        },
      },
      '/ping': { get: { summary: 'Health check', responses: { '200': { description: '{ "status": "ok" }' } } } },
      '/metadata': {
        get: { summary: 'The bundle’s header facts: kind, versions, requirements, metadata, summary', responses: { '200': { description: 'Metadata' } } },
      },
      '/prototype': { get: { summary: 'The input prototype, its JSON Schema and an example row', responses: { '200': { description: 'Prototype' } } } },
    },
    components: { schemas: { Row: row, Error: errorSchema } },
  };
}
