import { generateKeyPair, type KeyInput } from '@modelbundle/core';
import { type FittedWorkflow, fit, predict } from '@modelbundle/workflows';
import { beforeAll, describe, expect, it } from 'vitest';
import { OUTCOME, penguins, type Row, tinySpec } from './helpers.js';

let rows: Row[];
let publisher: KeyInput;
let signedWorkflow: FittedWorkflow;
let unsignedWorkflow: FittedWorkflow;
let strangerWorkflow: FittedWorkflow;

beforeAll(async () => {
  const all = await penguins();
  rows = all.filter((_, i) => i % 6 === 0);
  const keys = await generateKeyPair();
  const stranger = await generateKeyPair();
  publisher = keys.publicKey;
  const spec = tinySpec('sequential', 'classification');
  signedWorkflow = await fit(spec, rows, { outcome: OUTCOME.classification, signingKey: keys.privateKey });
  unsignedWorkflow = await fit(spec, rows, { outcome: OUTCOME.classification });
  strangerWorkflow = await fit(spec, rows, { outcome: OUTCOME.classification, signingKey: stranger.privateKey });
});

const sample = () => rows.slice(0, 5);

/** The rejection's code and reason, or the predictions. */
async function outcome(workflow: unknown): Promise<unknown> {
  try {
    return await predict(workflow, sample(), { trustedKeys: [publisher], type: 'prob' });
  } catch (error) {
    const e = error as { code?: string; details?: { reason?: string } };
    return `${e.code}:${e.details?.reason}`;
  }
}

describe('trustedKeys on a fitted workflow copy', () => {
  it('a copy of a workflow fitted with signingKey predicts with the publisher key, exactly as the original', async () => {
    const expected = await predict(signedWorkflow, sample(), { type: 'prob' });
    expect(await outcome(structuredClone(signedWorkflow))).toEqual(expected);
    expect(await outcome(JSON.parse(JSON.stringify(signedWorkflow)))).toEqual(expected);
    // The original holds the model fit() built in this process: trusted without a check.
    expect(await outcome(signedWorkflow)).toEqual(expected);
  });

  it('refuses a copy whose model bytes were swapped for unsigned bytes or bytes signed by another key', async () => {
    expect(await outcome({ ...structuredClone(signedWorkflow), modelBytes: unsignedWorkflow.modelBytes })).toBe('SIGNATURE_INVALID:unsigned');
    expect(await outcome({ ...structuredClone(signedWorkflow), modelBytes: strangerWorkflow.modelBytes })).toBe('SIGNATURE_INVALID:untrusted');
    expect(await outcome(structuredClone(unsignedWorkflow))).toBe('SIGNATURE_INVALID:unsigned');
  });

  it('checks the bytes of a copy whose model was already restored without keys', async () => {
    const copy = structuredClone(unsignedWorkflow);
    await predict(copy, sample());
    expect(await outcome(copy)).toBe('SIGNATURE_INVALID:unsigned');
    const good = structuredClone(signedWorkflow);
    await predict(good, sample());
    expect(await outcome(good)).toEqual(await predict(signedWorkflow, sample(), { type: 'prob' }));
  });

  it('a swapped model byte in a signed copy is refused as damage, not trusted', async () => {
    const copy = structuredClone(signedWorkflow);
    const bytes = copy.modelBytes as Uint8Array;
    bytes[bytes.length - 1] = (bytes[bytes.length - 1] as number) ^ 0x01;
    expect(await outcome(copy)).toBe('CORRUPT:undefined');
  });
});
