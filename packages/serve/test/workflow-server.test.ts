import { type Bundle, createRegistry, ErrorCodes, type Registry } from '@modelbundle/core';
import { type RunningServer, serve } from '@modelbundle/serve';
import { tfjsPlugin } from '@modelbundle/tfjs';
import { predict, workflowsPlugin } from '@modelbundle/workflows';
import { fitDemo, loadPenguins, type PenguinRow } from '@modelbundle/workflows/demo';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

let registry: Registry;
let bundle: Bundle;
let workflow: Awaited<ReturnType<typeof fitDemo>>;
let penguins: Omit<PenguinRow, 'Species'>[];
let server: RunningServer;
const post = (path: string, body: unknown, type = 'application/json', target = server) =>
  fetch(`${target.url}${path}`, { method: 'POST', headers: { 'content-type': type }, body: typeof body === 'string' ? body : JSON.stringify(body) });

beforeAll(async () => {
  registry = createRegistry({ autoload: false }).registerPlugin(tfjsPlugin).registerPlugin(workflowsPlugin);
  workflow = await fitDemo({ epochs: 2 });
  penguins = (await loadPenguins()).map(({ Species: _, ...row }) => row);
  bundle = await registry.bundle(workflow, { metadata: { name: 'penguins', example: penguins[0] } });
  server = await serve({ bundle, registry, port: 0, logLevel: 'silent', signals: false });
}, 120_000);
afterAll(() => server.close());

describe('the schema is enforced as advertised', () => {
  it('refuses a mis-cased or unseen level with 400 naming the column, value, allowed values and the closest one', async () => {
    const res = await post('/predict', [{ ...penguins[0], Island: 'torgersen' }]);
    expect(res.status).toBe(400);
    const { error } = await res.json();
    expect(error.code).toBe('INVALID_INPUT');
    expect(error.message).toContain('column "Island" ("torgersen") is not one of the allowed values [Biscoe, Dream, Torgersen]; did you mean "Torgersen"?');
    expect(error.details.problems[0]).toMatchObject({ column: 'Island', closest: 'Torgersen', allowed: ['Biscoe', 'Dream', 'Torgersen'] });
    const mars = await post('/predict', [{ ...penguins[0], Island: 'Mars' }]);
    expect(mars.status).toBe(400);
    expect((await mars.json()).error.message).toContain('("Mars") is not one of the allowed values');
  });

  it('admits in the schema exactly what it accepts: nullable columns, enums with null', async () => {
    const api = await (await fetch(`${server.url}/openapi.json`)).json();
    const row = api.components.schemas.Row;
    expect(row.properties.Island).toMatchObject({ type: ['string', 'null'], enum: ['Biscoe', 'Dream', 'Torgersen', null] });
    expect(row.properties['Body Mass (g)'].type).toEqual(['number', 'null']);
    expect(row.properties.Species).toEqual({ description: 'The outcome column: allowed, and ignored.' });
    expect(row.additionalProperties).toBe(false);
    const withNull = await post('/predict?type=prob', [{ ...penguins[0], 'Body Mass (g)': null, Island: null }]);
    expect(withNull.status).toBe(200);
    expect((await withNull.json()).predictions).toEqual(await predict(workflow, [{ ...penguins[0], 'Body Mass (g)': null, Island: null }], { type: 'prob' }));
  });

  it('with unseenLevels "zero" predicts, lists a warning in the response and counts it in /metrics', async () => {
    const zero = await serve({ bundle, registry, port: 0, logLevel: 'silent', signals: false, unseenLevels: 'zero' });
    try {
      const res = await post('/predict?type=prob', [penguins[0], { ...penguins[0], Island: 'Mars' }], 'application/json', zero);
      expect(res.status).toBe(200);
      const body = await res.json();
      expect(body.predictions).toEqual(await predict(workflow, [penguins[0], { ...penguins[0], Island: 'Mars' }], { type: 'prob' }));
      expect(body.warningCount).toBe(1);
      expect(body.warnings).toEqual([expect.objectContaining({ code: 'UNSEEN_LEVEL', row: 1, column: 'Island', value: '"Mars"' })]);
      const clean = await (await post('/predict', [penguins[0]], 'application/json', zero)).json();
      expect(clean.warnings).toBeUndefined();
      const metrics = await (await fetch(`${zero.url}/metrics`)).text();
      expect(metrics).toMatch(/^modelbundle_prediction_warnings_total\{code="UNSEEN_LEVEL"\} 1$/m);
      const api = await (await fetch(`${zero.url}/openapi.json`)).json();
      expect(api.components.schemas.Row.properties.Island.enum).toBeUndefined();
      expect(api.components.schemas.Row.properties.Island.description).toContain('encoded as all zeros');
    } finally {
      await zero.close();
    }
  });
});

describe('request formats', () => {
  const columns = ['Island', 'Beak Length (mm)', 'Beak Depth (mm)', 'Flipper Length (mm)', 'Body Mass (g)', 'Sex'] as const;
  const rows = () => penguins.slice(0, 3);
  const csvCell = (v: unknown) => (v === null ? '' : /[,"]/.test(String(v)) ? `"${v}"` : String(v));

  it('answers every format, on /predict and /invocations, with the same predictions', async () => {
    const expected = await predict(workflow, rows(), { type: 'prob' });
    const bodies: [string, unknown, string?][] = [
      ['rows', rows()],
      ['instances', { instances: rows() }],
      ['inputs as rows', { inputs: rows() }],
      ['inputs as columns', { inputs: Object.fromEntries(columns.map((c) => [c, rows().map((r) => r[c])])) }],
      ['dataframe_split', { dataframe_split: { columns, index: [0, 1, 2], data: rows().map((r) => columns.map((c) => r[c])) } }],
      ['dataframe_records', { dataframe_records: rows() }],
      ['CSV', [columns.map(csvCell).join(','), ...rows().map((r) => columns.map((c) => csvCell(r[c])).join(','))].join('\n'), 'text/csv'],
    ];
    for (const path of ['/predict', '/invocations']) {
      for (const [name, body, type] of bodies) {
        const res = await post(`${path}?type=prob`, body, type);
        expect(res.status, `${path} ${name}`).toBe(200);
        expect(await res.json(), `${path} ${name}`).toEqual({ predictions: expected });
      }
    }
  });

  it('documents each format with an example in OpenAPI that the server answers', async () => {
    const api = await (await fetch(`${server.url}/openapi.json`)).json();
    const content = api.paths['/invocations'].post.requestBody.content;
    for (const [name, { value }] of Object.entries(content['application/json'].examples as Record<string, { value: unknown }>)) {
      expect((await post('/invocations', value)).status, name).toBe(200);
    }
    expect((await post('/invocations', content['text/csv'].example, 'text/csv')).status).toBe(200);
  });
});

describe('consistent limits', () => {
  it('admits maxRows rows of the widest penguin row by default, and states maxItems in OpenAPI', async () => {
    const api = await (await fetch(`${server.url}/openapi.json`)).json();
    expect(api.components.schemas.PredictRequest.oneOf[0].maxItems).toBe(10_000);
    const many = Array.from({ length: 10_000 }, (_, i) => penguins[i % penguins.length]);
    const body = JSON.stringify(many);
    expect(body.length).toBeGreaterThan(1024 * 1024);
    const res = await post('/predict', body);
    expect(res.status).toBe(200);
    expect((await res.json()).predictions).toHaveLength(10_000);
    const tooMany = await post('/predict', JSON.stringify([...many, penguins[0]]));
    expect(tooMany.status).toBe(413);
    expect((await tooMany.json()).error.code).toBe('LIMIT_EXCEEDED');
  });
});

describe('operations endpoints', () => {
  it('answers /healthz, /readyz after the warm-up prediction, /version and /metrics', async () => {
    expect(await (await fetch(`${server.url}/healthz`)).json()).toEqual({ status: 'ok' });
    let ready = await fetch(`${server.url}/readyz`);
    for (let i = 0; i < 50 && ready.status !== 200; i++) {
      await new Promise((resolve) => setTimeout(resolve, 100));
      ready = await fetch(`${server.url}/readyz`);
    }
    expect(ready.status).toBe(200);
    const version = await (await fetch(`${server.url}/version`)).json();
    expect(version.packages['@modelbundle/serve']).toBe('0.1.0');
    expect(version.bundle).toMatchObject({ kind: 'workflows.fitted', digest: expect.stringMatching(/^[0-9a-f]{64}$/) });
    await post('/predict', penguins.slice(0, 4));
    const res = await fetch(`${server.url}/metrics`);
    expect(res.headers.get('content-type')).toMatch(/^text\/plain; version=0\.0\.4/);
    const text = await res.text();
    expect(text).toMatch(/^modelbundle_http_requests_total\{route="\/predict",method="POST",status="200"\} \d+$/m);
    expect(text).toMatch(/^modelbundle_http_request_duration_seconds_bucket\{le="0\.1",route="\/predict",method="POST"\} \d+$/m);
    expect(text).toMatch(/^modelbundle_rows_predicted_total \d+$/m);
    expect(text).toMatch(/^modelbundle_batch_rows_count \d+$/m);
    expect(text).toContain(`modelbundle_model_info{kind="workflows.fitted",serializer="@modelbundle/workflows"`);
    expect(text).toMatch(/^process_cpu_user_seconds_total /m);
  });
});

describe('every error status is the one the error map gives for its code', () => {
  it('holds over every kind of bad request', async () => {
    const requests: [string, RequestInit][] = [
      ['/predict', { method: 'POST', headers: { 'content-type': 'application/json' }, body: '[{' }],
      ['/predict', { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify([{ Island: 'Mars' }]) }],
      ['/predict?type=numeric', { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify([penguins[0]]) }],
      ['/predict', { method: 'POST', headers: { 'content-type': 'text/plain' }, body: 'x' }],
      ['/predict', { method: 'POST', headers: { 'content-type': 'text/csv' }, body: 'a,b\n"x' }],
      ['/predict', { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(Array(10_001).fill(penguins[0])) }],
      ['/predict', { method: 'POST', headers: { 'content-type': 'application/json' }, body: `[${'"x",'.repeat(4_000_000)}1]` }],
      ['/predict', { method: 'GET' }],
      ['/nope', { method: 'GET' }],
      ['/metrics', { method: 'DELETE' }],
    ];
    const seen = new Set<string>();
    for (const [path, init] of requests) {
      const res = await fetch(`${server.url}${path}`, init);
      const { error } = await res.json();
      expect(res.status, `${init.method} ${path}: ${error.code}`).toBe(ErrorCodes[error.code as keyof typeof ErrorCodes].http);
      expect(error.message.length).toBeLessThan(4_000);
      seen.add(error.code);
    }
    expect([...seen].sort()).toEqual([
      'INVALID_ARGUMENT',
      'INVALID_INPUT',
      'LIMIT_EXCEEDED',
      'METHOD_NOT_ALLOWED',
      'NOT_FOUND',
      'PAYLOAD_TOO_LARGE',
      'UNSUPPORTED_MEDIA_TYPE',
    ]);
  });
});
