import { createRequire } from 'node:module';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { missingPythonDeps, pythonEval } from './python.js';

// node-semver as @modelbundle/core uses it: the reference for the Python reader's grammar.
const semver = createRequire(join(import.meta.dirname, '../../packages/core/package.json'))('semver') as {
  valid(version: string): string | null;
  validRange(range: string): string | null;
};

const RANGES = [
  ...['', '*', 'x', 'X', '^1', '^1.2.3', '~1.2', '~>1.2', '~> 1.2', '>=1.2.3 <2', '>= 1.2.3', '1.2.3 - 2', '1 || 2', '>=1 <2 || 3', '||'],
  ...['1.x', '1.x.x', '1.2.x', '1.*', '>=x', '<1.x', '^x', '=1.2.3', '=v1.2.3', 'v1', '  ^1  ', '\t^1', '^1.2.3-beta', '>=1.0.0-rc.1', '1.2.3+build'],
  ...[
    'latest',
    'x.1.2',
    '*.1',
    '1.x.3',
    'v=1.2.3',
    '1.2.3 -2',
    '1.2.3- 2',
    '1 - 2 - 3',
    '1.2.3-rc.01',
    '>1.2.3<2',
    '1.2.3-',
    'foo bar',
    '1.2.3.4',
    '>01',
    '1.2.03',
  ],
  ...['99999999999999999', '1.2.3-a..b', 'a', '^', '>=', '1 2 3', '4.22.0', '^4.22.0', '>=4.0.0 <5'],
];
const VERSIONS = [
  '1.0.0',
  '0.0.0',
  '1.2.3-rc.1',
  '1.2.3-alpha.beta.1',
  '10.20.30',
  '1.0.0+build',
  'v1.0.0',
  '1.0',
  '01.0.0',
  '1.0.0-01',
  '1.0.0-',
  '99999999999999999.0.0',
  '1.0.0-x-y.z',
];

describe('the Python reader’s semver grammar agrees with node-semver', () => {
  beforeAll(() => {
    const missing = missingPythonDeps();
    if (missing) throw new Error(missing);
  });

  it('on requires ranges (semver.validRange)', () => {
    const python = pythonEval('[r.is_semver_range(s) for s in args]', RANGES) as boolean[];
    const disagreements = RANGES.filter((range, i) => python[i] !== (semver.validRange(range) !== null));
    expect(disagreements).toEqual([]);
  });

  it('on payload versions (semver.valid(v) === v)', () => {
    const python = pythonEval('[r.is_semver(s) for s in args]', VERSIONS) as boolean[];
    const disagreements = VERSIONS.filter((version, i) => python[i] !== (semver.valid(version) === version));
    expect(disagreements).toEqual([]);
  });
});
