import { testSerializer } from '@modelbundle/testing';
import { ensureBackend } from '@modelbundle/tfjs';
import { type FittedWorkflowData, fit, fittedWorkflowSerializer, predict } from '@modelbundle/workflows';
import { OUTCOME, penguins, tinySpec } from './helpers.js';

const data = await penguins();
const rows = data.slice(0, 8).map(({ Species: _, ...rest }) => rest);

testSerializer<FittedWorkflowData>({
  name: 'workflows.fitted',
  serializer: fittedWorkflowSerializer,
  setup: async () => {
    await ensureBackend();
  },
  makeValue: () => fit(tinySpec('sequential', 'classification'), data, { outcome: OUTCOME.classification }),
  // Same data and the same probabilities, to the bit.
  equals: async (a, b) =>
    JSON.stringify([a.recipe, a.ptype, a.spec, a.levels, a.history]) === JSON.stringify([b.recipe, b.ptype, b.spec, b.levels, b.history]) &&
    JSON.stringify(await predict(a, rows, { type: 'prob' })) === JSON.stringify(await predict(b, rows, { type: 'prob' })),
  foreignValues: [{ kind: 'workflows.fitted' }, { kind: 'other', recipe: {}, ptype: {}, spec: {} }],
  predictRows: rows,
});
