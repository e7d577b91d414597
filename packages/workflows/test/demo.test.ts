import { createHash } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { predict } from '@modelbundle/workflows';
import { demoSpec, fitDemo, loadPenguins, PENGUINS_PATH } from '@modelbundle/workflows/demo';
import { describe, expect, it } from 'vitest';

describe('the shipped demo data and fitDemo()', () => {
  it('ships the penguins file byte for byte as recorded in data/README.md', async () => {
    const bytes = await readFile(PENGUINS_PATH);
    expect(bytes.length).toBe(67119);
    expect(createHash('sha256').update(bytes).digest('hex')).toBe('0facf769609f1205b82cbceb8238c36af3e6147a0ca0e163902cc6281ce3e917');
    const readme = await readFile(new URL('README.md', `file://${PENGUINS_PATH}`), 'utf8');
    expect(readme).toContain('CC0');
    expect(readme).toContain('0facf769609f1205b82cbceb8238c36af3e6147a0ca0e163902cc6281ce3e917');
  });

  it('loads 344 penguins with numeric and nominal columns and missing values', async () => {
    const rows = await loadPenguins();
    expect(rows).toHaveLength(344);
    expect(new Set(rows.map((r) => r.Species))).toEqual(new Set(['Adelie', 'Chinstrap', 'Gentoo']));
    expect(rows.filter((r) => r['Body Mass (g)'] === null)).toHaveLength(2);
    expect(rows.filter((r) => r.Sex === null)).toHaveLength(10);
  });

  it('fitDemo() learns the species well on the shipped data', async () => {
    const rows = await loadPenguins();
    const workflow = await fitDemo();
    expect(workflow.spec).toEqual(demoSpec);
    const predicted = await predict(
      workflow,
      rows.map(({ Species: _, ...rest }) => rest),
    );
    const accuracy = predicted.filter((p, i) => p['.pred_class'] === rows[i]!.Species).length / rows.length;
    expect(accuracy).toBeGreaterThan(0.9);
  });
});
