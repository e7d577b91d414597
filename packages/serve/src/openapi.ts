import { type Header, isTensorPtype, type Ptype, type UnseenLevelPolicy } from '@modelbundle/core';
import { bundleExample, type JsonSchema, ptypeToRowSchema, rowSchemas } from './ptype-schema.js';

/** What the OpenAPI document is generated from: the bundle's header, its ptype and the server's limits. */
export interface OpenApiSource {
  header: Header;
  ptype: Ptype | null;
  /** Prediction types the predictor supports (the `type` parameter). */
  types: readonly string[];
  /** Request body limit in bytes, stated in the document. */
  bodyLimit: number;
  /** Most rows per request: `maxItems` of every row list. */
  maxRows: number;
  unseenLevels: UnseenLevelPolicy;
  /** True when prediction routes need a bearer token. */
  auth?: boolean;
}

const errorSchema: JsonSchema = {
  type: 'object',
  required: ['error'],
  properties: {
    error: {
      type: 'object',
      required: ['code', 'message', 'details'],
      properties: { code: { type: 'string' }, message: { type: 'string' }, details: { type: 'object' } },
    },
  },
};

const warningSchema: JsonSchema = {
  type: 'object',
  required: ['code', 'row', 'column', 'value', 'message'],
  properties: { code: { const: 'UNSEEN_LEVEL' }, row: { type: 'integer' }, column: { type: 'string' }, value: { type: 'string' }, message: { type: 'string' } },
};

/**
 * Builds the OpenAPI 3.1 document of a server for one bundle: every route,
 * the input rows described by the ptype (Row), each request format with an
 * example, `maxItems` from the row limit, the response shape and the error
 * responses with their codes.
 */
export function buildOpenApi({ header, ptype, types, bodyLimit, maxRows, unseenLevels, auth }: OpenApiSource): Record<string, unknown> {
  const row = ptypeToRowSchema(ptype, { unseenLevels });
  const example = bundleExample(header.metadata, row);
  const title = typeof header.metadata.name === 'string' ? header.metadata.name.slice(0, 200) : `${header.kind} model`;
  const rowRef = { $ref: '#/components/schemas/Row' };
  const anyRow = rowSchemas(ptype, { unseenLevels }).length > 1 ? { $ref: '#/components/schemas/AnyRow' } : rowRef;
  const rows = { type: 'array', minItems: 1, maxItems: maxRows, items: anyRow };
  const typeParameter = types.length > 0 ? { type: 'string', enum: [...types] } : { type: 'string' };
  const columns = Object.keys((row.properties as Record<string, unknown>) ?? {});
  const errors = (statuses: Record<string, string>) =>
    Object.fromEntries(
      Object.entries(statuses).map(([status, description]) => [
        status,
        { description, content: { 'application/json': { schema: { $ref: '#/components/schemas/Error' } } } },
      ]),
    );
  const csvExample = `${columns.join(',')}\n${columns.map((c) => csvCell(example[c])).join(',')}\n`;
  const predictOperation = (summary: string) => ({
    summary,
    ...(auth ? { security: [{ bearer: [] }] } : {}),
    parameters: [{ name: 'type', in: 'query', required: false, schema: typeParameter, description: 'Prediction type; default: the model’s first.' }],
    requestBody: {
      required: true,
      description: `Rows in any of the formats below, at most ${maxRows} rows and ${bodyLimit} bytes.`,
      content: {
        'application/json': {
          schema: { $ref: '#/components/schemas/PredictRequest' },
          example: [example],
          examples: {
            rows: { summary: 'A JSON array of rows', value: [example] },
            instances: { summary: 'TensorFlow Serving / vetiver', value: { instances: [example] } },
            inputs: { summary: 'Columnar inputs (TF Serving, MLflow)', value: { inputs: Object.fromEntries(columns.map((c) => [c, [example[c]]])) } },
            dataframe_split: { summary: 'MLflow, pandas split orientation', value: { dataframe_split: { columns, data: [columns.map((c) => example[c])] } } },
            dataframe_records: { summary: 'MLflow, pandas records orientation', value: { dataframe_records: [example] } },
          },
        },
        'text/csv': { schema: { type: 'string' }, example: csvExample },
      },
    },
    responses: {
      '200': {
        description:
          'One prediction per input row, in order; `warnings` only when a value was accepted with a warning (unseen levels with unseenLevels "zero").',
        content: { 'application/json': { schema: { $ref: '#/components/schemas/PredictResponse' } } },
      },
      ...errors({
        '400':
          'INVALID_INPUT: malformed JSON or CSV, or rows that do not match the Row schema (the message names row, column, value, allowed values); INVALID_ARGUMENT: unknown prediction type',
        ...(auth ? { '401': 'UNAUTHORIZED: no valid bearer token' } : {}),
        '405': 'METHOD_NOT_ALLOWED (the Allow header lists the methods)',
        '413': `PAYLOAD_TOO_LARGE: body over ${bodyLimit} bytes; LIMIT_EXCEEDED: more than ${maxRows} rows`,
        '415': 'UNSUPPORTED_MEDIA_TYPE: content type other than application/json or text/csv',
      }),
    },
  });
  const simple = (summary: string, description: string) => ({ get: { summary, responses: { '200': { description } } } });
  return {
    openapi: '3.1.0',
    info: {
      title,
      version: header.serializer.version,
      description: `Predictions from a ${header.kind} bundle created ${header.created}. Send rows whose ${ptype && isTensorPtype(ptype) ? 'inputs' : 'columns'} match the Row schema.`,
    },
    paths: {
      '/predict': { post: predictOperation('Predict one output row per input row') },
      '/invocations': { post: predictOperation('The same as /predict, at the path MLflow’s scoring server uses') },
      '/healthz': simple('Liveness: the process answers', '{ "status": "ok" }'),
      '/readyz': {
        get: {
          summary: 'Readiness: the model is restored and has made one warm-up prediction',
          responses: {
            '200': { description: '{ "status": "ready" }' },
            '503': { description: '{ "status": "starting" } or { "status": "failed", "error": ... }' },
          },
        },
      },
      '/ping': simple('Health check (the same as /healthz)', '{ "status": "ok" }'),
      '/version': simple('Package versions, and the bundle’s kind, serializer and header digest', 'Versions'),
      '/metrics': simple('Prometheus metrics (text exposition format)', 'Metrics'),
      '/metadata': simple('The bundle’s header facts: kind, versions, requirements, metadata, summary', 'Metadata'),
      '/prototype': simple('The input prototype, its JSON Schema and an example row', 'Prototype'),
    },
    components: {
      schemas: {
        Row: row,
        ...(anyRow === rowRef ? {} : { AnyRow: { oneOf: rowSchemas(ptype, { unseenLevels }) } }),
        PredictRequest: {
          oneOf: [
            rows,
            { type: 'object', required: ['instances'], properties: { instances: rows, type: typeParameter } },
            {
              type: 'object',
              required: ['inputs'],
              properties: {
                inputs: { oneOf: [rows, { type: 'object', additionalProperties: { type: 'array', minItems: 1, maxItems: maxRows } }] },
                type: typeParameter,
              },
            },
            {
              type: 'object',
              required: ['dataframe_split'],
              properties: {
                dataframe_split: {
                  type: 'object',
                  required: ['columns', 'data'],
                  properties: {
                    columns: { type: 'array', items: { type: 'string' } },
                    data: { type: 'array', minItems: 1, maxItems: maxRows, items: { type: 'array' } },
                  },
                },
                type: typeParameter,
              },
            },
            { type: 'object', required: ['dataframe_records'], properties: { dataframe_records: { ...rows, items: rowRef }, type: typeParameter } },
          ],
        },
        PredictResponse: {
          type: 'object',
          required: ['predictions'],
          properties: {
            predictions: { type: 'array', items: { type: 'object' } },
            warnings: { type: 'array', maxItems: 20, items: warningSchema },
            warningCount: { type: 'integer' },
          },
        },
        Error: errorSchema,
      },
      ...(auth ? { securitySchemes: { bearer: { type: 'http', scheme: 'bearer' } } } : {}),
    },
  };
}

function csvCell(value: unknown): string {
  const text = value === null || value === undefined ? '' : typeof value === 'object' ? JSON.stringify(value) : String(value);
  return /[",\n]/.test(text) ? `"${text.replace(/"/g, '""')}"` : text;
}
