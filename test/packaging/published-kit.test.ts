import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { copyFile, mkdir, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runTsExample } from '../support/run-example.js';

// The packages as a user gets them: packed to tarballs, installed with npm
// into a project outside the workspace (no pnpm links, no workspace
// node_modules), then the published test kit runs there under vitest 3 and
// vitest 4. The npm registry is needed for vitest and the tfjs packages;
// npm's own cache makes a second run quick.

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
/** Package name -> folder, for each package the projects install. */
const PACKED: Record<string, string> = {
  '@modelbundle/core': 'packages/core',
  '@modelbundle/tfjs': 'packages/tfjs',
  '@modelbundle/testing': 'packages/testing',
  'modelbundle-plugin-linear': 'examples/linear-model',
};
/** Test files that run in each project: the kit's README example, its own test, the example plugin's conformance test. */
const TEST_FILES = ['readme.test.ts', 'tiny-serializer.test.ts', 'conformance.test.ts'];
/** The only checks that must report as skipped: the section-less serializer of tiny-serializer.test.ts has no sections and no predictor. */
const EXPECTED_SKIPS = [
  'section-less label (serializer conformance: example.label) detects a damaged section as CORRUPT',
  'section-less label (serializer conformance: example.label) gives a predictor that returns one row per input row',
];

interface Project {
  vitest: string;
  major: number;
  /** Whether it also installs @modelbundle/tfjs, for the root README's example. */
  tfjs: boolean;
  dir: string;
}
const projects: Project[] = [
  { vitest: '^3.2.0', major: 3, tfjs: false, dir: '' },
  { vitest: '^4.0.0', major: 4, tfjs: true, dir: '' },
];

let work = '';

beforeAll(async () => {
  for (const [name, folder] of Object.entries(PACKED)) {
    const manifest = JSON.parse(await readFile(join(ROOT, folder, 'package.json'), 'utf8'));
    if (JSON.stringify(manifest.exports).includes('./dist/') && !existsSync(join(ROOT, folder, 'dist'))) {
      throw new Error(`${name} has no ${folder}/dist to pack: run \`pnpm build\` first.`);
    }
  }
  work = await mkdtemp(join(tmpdir(), 'mbnd-published-'));
  const packs = join(work, 'tarballs');
  const filters = Object.keys(PACKED).flatMap((name) => ['--filter', name]);
  await run(pnpm(), ['-r', ...filters, 'pack', '--pack-destination', packs], ROOT, 'packing the workspace packages');
  const files = await readdir(packs);
  const tarballs: Record<string, string> = {};
  for (const name of Object.keys(PACKED)) {
    const prefix = `${name.replace('@', '').replace('/', '-')}-`;
    const file = files.find((f) => f.startsWith(prefix) && /^\d/.test(f.slice(prefix.length)) && f.endsWith('.tgz'));
    if (!file) throw new Error(`pnpm pack wrote no tarball for ${name} (found: ${files.join(', ')})`);
    tarballs[name] = `file:${join(packs, file)}`;
  }

  // The test files, as a plugin author would write them.
  const readme = await readFile(join(ROOT, 'packages/testing/README.md'), 'utf8');
  const example = /## Example\n[\s\S]*?```ts\n([\s\S]*?)\n```/.exec(readme)?.[1];
  if (!example) throw new Error('packages/testing/README.md lost its "## Example" ts block');

  await Promise.all(
    projects.map(async (project) => {
      project.dir = join(work, `vitest${project.major}`);
      await mkdir(project.dir);
      const { '@modelbundle/tfjs': tfjs, '@modelbundle/testing': testing, ...runtime } = tarballs;
      const manifest = {
        name: `published-kit-vitest${project.major}`,
        private: true,
        type: 'module',
        dependencies: { ...runtime, ...(project.tfjs ? { '@modelbundle/tfjs': tfjs, '@tensorflow/tfjs-layers': '4.22.0' } : {}) },
        devDependencies: { '@modelbundle/testing': testing, vitest: project.vitest },
        // One copy of core for the application, the plugins and the kit, as npm gives a registry install.
        overrides: { '@modelbundle/core': tarballs['@modelbundle/core'] },
      };
      await writeFile(join(project.dir, 'package.json'), `${JSON.stringify(manifest, null, 2)}\n`);
      await writeFile(join(project.dir, 'readme.test.ts'), `${example}\n`);
      await copyFile(join(ROOT, 'packages/testing/test/tiny-serializer.test.ts'), join(project.dir, 'tiny-serializer.test.ts'));
      for (const file of ['conformance.test.ts', 'data.ts']) await copyFile(join(ROOT, 'examples/linear-model/test', file), join(project.dir, file));
      await run(
        'npm',
        ['install', '--no-audit', '--no-fund', '--prefer-offline', '--ignore-scripts', '--loglevel=error'],
        project.dir,
        `npm install with vitest@${project.vitest} (needs the npm registry or npm's cache)`,
      );
    }),
  );
}, 600_000);

afterAll(async () => {
  if (work) await rm(work, { recursive: true, force: true });
});

describe.each(projects)('packed packages under vitest $major', (project) => {
  it('installs one vitest and one @modelbundle/core, shared as peers (nothing nested)', async () => {
    const installed = JSON.parse(await readFile(join(project.dir, 'node_modules/vitest/package.json'), 'utf8')).version as string;
    expect(Number(installed.split('.')[0]), `vitest ${installed} in the project`).toBe(project.major);
    const nested = Object.keys(PACKED)
      .flatMap((name) => ['vitest', '@modelbundle/core'].map((dep) => join('node_modules', name, 'node_modules', dep)))
      .filter((path) => existsSync(join(project.dir, path)));
    expect(nested, 'a package brought its own copy instead of using the peer').toEqual([]);
  });

  it("runs the kit's README example, its own test and the example plugin's conformance test, skipping only what does not apply", async () => {
    const { code, stderr } = await run(process.execPath, ['node_modules/vitest/vitest.mjs', 'run', '--reporter=json', '--outputFile=report.json'], project.dir);
    const reportPath = join(project.dir, 'report.json');
    if (!existsSync(reportPath)) throw new Error(`vitest ${project.major} wrote no report (exit ${code}):\n${stderr.slice(-4000)}`);
    const report = JSON.parse(await readFile(reportPath, 'utf8')) as JsonReport;
    const files = report.testResults.map((file) => file.name.slice(project.dir.length + 1)).sort();
    expect(files, 'test files vitest ran').toEqual([...TEST_FILES].sort());
    const results = report.testResults.flatMap((file) => file.assertionResults.map((test) => ({ ...test, file: file.name.slice(project.dir.length + 1) })));
    const failures = [
      ...report.testResults.filter((file) => file.status === 'failed' && file.assertionResults.length === 0).map((file) => `${file.name}: ${file.message}`),
      ...results.filter((test) => test.status === 'failed').map((test) => `${test.file} > ${test.fullName}: ${test.failureMessages.join('\n').slice(0, 800)}`),
    ];
    expect(failures, `failures under vitest ${project.major}`).toEqual([]);
    expect(code, `vitest ${project.major} exit code; stderr:\n${stderr.slice(-2000)}`).toBe(0);
    expect(results.filter((test) => test.status === 'skipped').map((test) => test.fullName)).toEqual(EXPECTED_SKIPS);
    for (const file of TEST_FILES) {
      expect(results.filter((test) => test.file === file && test.status === 'passed').length, `passed tests in ${file}`).toBeGreaterThanOrEqual(13);
    }
  });

  it.runIf(project.tfjs)('runs the root README code example with the packed core and tfjs', async () => {
    const readme = await readFile(join(ROOT, 'README.md'), 'utf8');
    const code = /## In code\n\n```ts\n([\s\S]*?)\n```/.exec(readme)?.[1];
    const printed = /```text\n([\s\S]*?)\n```/.exec(readme)?.[1];
    if (!code || !printed) throw new Error('README.md lost its example or its output');
    const result = await runTsExample(code, project.dir);
    expect(result.stderr, 'stderr of the README example').toBe('');
    expect(result.status).toBe(0);
    expect(result.stdout.trim()).toBe(printed.trim());
  });
});

interface JsonReport {
  testResults: {
    name: string;
    status: string;
    message: string;
    assertionResults: { fullName: string; status: 'passed' | 'failed' | 'skipped' | 'pending' | 'todo'; failureMessages: string[] }[];
  }[];
}

/** pnpm as the test run was started (pnpm test sets npm_execpath), else the one on PATH. */
function pnpm(): string[] {
  const execpath = process.env.npm_execpath;
  return execpath && /pnpm/.test(execpath) && /\.[cm]?js$/.test(execpath) ? [process.execPath, execpath] : ['pnpm'];
}

/** The environment of this test without what vitest and pnpm set for it, so the child tools start clean. */
function cleanEnv(): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { CI: 'true', NO_COLOR: '1', FORCE_COLOR: '0' };
  for (const [key, value] of Object.entries(process.env)) {
    const ours = /^(VITEST|VITE_|TINYPOOL|npm_)/.test(key) || ['NODE_OPTIONS', 'TEST', 'NODE_ENV'].includes(key);
    if (value !== undefined && (!ours || /^npm_config_(registry|cache)$/.test(key)) && !(key in env)) env[key] = value;
  }
  return env;
}

/**
 * Runs a command in `cwd`. With `what`, a non-zero exit throws an error
 * that says what failed, with the end of its output; without, the exit
 * code and output are returned for the caller to judge.
 */
function run(command: string | string[], args: string[], cwd: string, what?: string): Promise<{ code: number; stdout: string; stderr: string }> {
  const [file, ...pre] = typeof command === 'string' ? [command] : command;
  return new Promise((resolve, reject) => {
    execFile(file as string, [...pre, ...args], { cwd, env: cleanEnv(), maxBuffer: 64 * 1024 * 1024, timeout: 300_000 }, (error, stdout, stderr) => {
      const code = error ? (typeof error.code === 'number' ? error.code : 1) : 0;
      if (code !== 0 && what) reject(new Error(`${what} failed in ${cwd} (exit ${code}, ${error?.message}):\n${`${stdout}\n${stderr}`.trim().slice(-4000)}`));
      else resolve({ code, stdout, stderr });
    });
  });
}
