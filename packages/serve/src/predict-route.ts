import { checkRows, ModelBundleError, parseRequestRows, parseRequestText, type RowWarning, type UnseenLevelPolicy } from '@modelbundle/core';
import type { FastifyRequest } from 'fastify';
import type { Batcher } from './batcher.js';
import type { LoadedModel } from './load-model.js';
import type { ServerMetrics } from './metrics.js';

/** The response of POST /predict and /invocations: one prediction per row, in order; `warnings` only when a value was accepted with one. */
export interface PredictResponse {
  predictions: Record<string, unknown>[];
  warnings?: RowWarning[];
  /** How many warnings there were in all (at most 20 are listed). */
  warningCount?: number;
}

/** What the predict handler needs. */
export interface PredictContext {
  model: LoadedModel;
  batcher: Batcher | undefined;
  types: readonly string[];
  maxRows: number;
  unseenLevels: UnseenLevelPolicy;
  metrics: ServerMetrics;
}

/**
 * Handles one predict request: reads its rows (JSON in any supported format,
 * or CSV), picks the prediction type (the `type` query parameter wins over
 * the body's), checks every row against the ptype (400 naming each problem),
 * then predicts, through the batcher when batching is on.
 */
export function predictHandler(context: PredictContext): (request: FastifyRequest) => Promise<PredictResponse> {
  const { model, batcher, types, maxRows, unseenLevels, metrics } = context;
  return async (request) => {
    const parsed =
      // The CSV parser hands over text; a JSON body that is a string is still JSON (and refused as not rows).
      /^\s*(text|application)\/csv\b/i.test(request.headers['content-type'] ?? '')
        ? parseRequestText(String(request.body), 'csv', model.ptype, { maxRows })
        : parseRequestRows(request.body, { maxRows });
    const type = pickType((request.query as Record<string, unknown>).type, parsed.type, types);
    const check = checkRows(parsed.rows, model.ptype, { unseenLevels });
    const predictions = batcher ? await batcher.submit(parsed.rows, type) : await model.predictor.predict(parsed.rows, type === undefined ? {} : { type });
    metrics.rows.inc(parsed.rows.length);
    if (check.warningCount === 0) return { predictions };
    metrics.warnings.inc({ code: 'UNSEEN_LEVEL' }, check.warningCount);
    return { predictions, warnings: check.warnings, warningCount: check.warningCount };
  };
}

function pickType(queryType: unknown, bodyType: unknown, types: readonly string[]): string | undefined {
  const type = queryType ?? bodyType;
  if (type === undefined || type === '') return undefined;
  if (typeof type !== 'string' || (types.length > 0 && !types.includes(type))) {
    throw new ModelBundleError(
      'INVALID_ARGUMENT',
      `Prediction type ${JSON.stringify(String(type).slice(0, 40))} is not supported by this model; expected one of: ${types.join(', ') || '(none declared)'}.`,
      { details: { types } },
    );
  }
  return type;
}
