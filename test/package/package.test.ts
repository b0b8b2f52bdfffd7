// The published package as a user gets it: `npm pack`, install the tarball into fresh projects
// (plain ESM JavaScript and TypeScript against the declarations), and run a small augmentation +
// evaluation there. The results must equal the same steps run from src/, every subpath must export
// exactly what its folder's index.ts exports, and nothing outside "exports" may be importable.
//
// The tarball's dependencies install without network: the consumer gets a lockfile made from this
// project's (same versions and integrity hashes), so `npm ci --offline` takes them from the npm
// cache that this project's `npm ci` filled. Only on a cache miss does it go to the registry.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { buildPipeline, createRecommender, defaultMetrics, expandTrainView, fullRankingRanks, leaveOneOutSplit, loadDataset, metricsFromRanks } from '../../src/index.ts';

const root = resolve(import.meta.dirname, '..', '..');
const manifest = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as {
  name: string;
  version: string;
  dependencies: Record<string, string>;
  devDependencies: Record<string, string>;
  exports: Record<string, { types: string; import: string } | string>;
};
const subpaths = Object.keys(manifest.exports).filter((k) => k !== './package.json');

// The nested npm gets the outer one's cache and registry, not the settings of the `npm test` run.
const env: NodeJS.ProcessEnv = Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith('npm_') || ['npm_config_cache', 'npm_config_registry', 'npm_config_userconfig'].includes(k)));
env.SAMPLIFY_SKIP_NATIVE = '1'; // the consumer gets the TypeScript kernels: compiling OpenBLAS kernels is not what this test is about

function run(cmd: string, args: readonly string[], cwd: string): { status: number | null; stdout: string; stderr: string } {
  const r = spawnSync(cmd, args, { cwd, env, encoding: 'utf8', timeout: 180_000 });
  return { status: r.status, stdout: r.stdout ?? '', stderr: r.stderr ?? String(r.error ?? '') };
}
function ok(cmd: string, args: readonly string[], cwd: string): string {
  const r = run(cmd, args, cwd);
  assert.equal(r.status, 0, `${cmd} ${args.join(' ')} failed in ${cwd}:\n${r.stdout}\n${r.stderr}`);
  return r.stdout;
}
const npm = (args: readonly string[], cwd: string) => run('npm', args, cwd);

function files(dir: string, keep: (name: string) => boolean): string[] {
  if (!existsSync(dir)) return [];
  return readdirSync(dir, { recursive: true, withFileTypes: true })
    .filter((e) => e.isFile() && keep(e.name))
    .map((e) => join(e.parentPath, e.name));
}

/** dist/ is rebuilt when missing or older than a source file or a tsconfig (a test must not pass on a stale build). */
function ensureBuilt(): void {
  const built = files(join(root, 'dist'), (n) => n.endsWith('.js') || n.endsWith('.d.ts'));
  const sources = [...files(join(root, 'src'), (n) => n.endsWith('.ts')), join(root, 'tsconfig.json'), join(root, 'tsconfig.build.json')];
  const oldestBuilt = Math.min(...built.map((f) => statSync(f).mtimeMs));
  const newestSource = Math.max(...sources.map((f) => statSync(f).mtimeMs));
  if (built.length === 0 || newestSource > oldestBuilt) ok(process.execPath, [join(root, 'scripts', 'build.mjs')], root);
}

const tmp = mkdtempSync(join(tmpdir(), 'samplify-package-'));
after(() => rmSync(tmp, { recursive: true, force: true }));
const consumer = join(tmp, 'consumer');
const SEQUENCES = Array.from({ length: 40 }, (_, u) => `${u + 1} ${Array.from({ length: 5 + (u % 4) }, (_, k) => 1 + ((u * 3 + k * 5) % 30)).join(' ')}`).join('\n') + '\n';
const PIPELINE = { version: 1, name: 'crop-reorder', steps: [{ op: 'crop', ratio: 0.6 }, { op: 'reorder', ratio: 0.2 }] };
let packed: string[] = [];
let installedFrom = '';

/** The consumer's lockfile: the tarball plus this project's lock entries of the runtime dependencies. */
function consumerLock(tarball: string, tarballPackage: { version: string; dependencies: Record<string, string>; bin: unknown; engines: unknown; license: string }): object {
  const lock = JSON.parse(readFileSync(join(root, 'package-lock.json'), 'utf8')) as { packages: Record<string, { dev?: boolean }> };
  const integrity = `sha512-${createHash('sha512').update(readFileSync(join(consumer, tarball))).digest('base64')}`;
  const packages: Record<string, unknown> = {
    '': { name: 'consumer', dependencies: { [manifest.name]: `file:${tarball}` } },
    [`node_modules/${manifest.name}`]: { ...tarballPackage, resolved: `file:${tarball}`, integrity, hasInstallScript: true },
  };
  for (const [path, entry] of Object.entries(lock.packages)) if (path !== '' && entry.dev !== true) packages[path] = entry;
  return { name: 'consumer', lockfileVersion: 3, requires: true, packages };
}

before(() => {
  ensureBuilt();
  mkdirSync(consumer);
  const out = npm(['pack', '--ignore-scripts', '--json', '--pack-destination', consumer], root);
  assert.equal(out.status, 0, out.stderr);
  const [info] = JSON.parse(out.stdout) as { filename: string; files: { path: string }[] }[];
  packed = info!.files.map((f) => f.path);
  const tarball = info!.filename;
  const tarballPackage = JSON.parse(ok('tar', ['-xOzf', join(consumer, tarball), 'package/package.json'], consumer));
  writeFileSync(join(consumer, 'package.json'), JSON.stringify({ name: 'consumer', private: true, type: 'module', dependencies: { [manifest.name]: `file:${tarball}` } }, null, 2));
  writeFileSync(join(consumer, 'package-lock.json'), JSON.stringify(consumerLock(tarball, tarballPackage), null, 2));
  const offline = npm(['ci', '--offline', '--no-audit', '--no-fund'], consumer);
  installedFrom = 'the npm cache (offline)';
  if (offline.status !== 0) {
    assert.match(offline.stderr, /ENOTCACHED|only-if-cached/, `npm ci --offline failed for another reason than a cache miss:\n${offline.stderr}`);
    const online = npm(['ci', '--prefer-offline', '--no-audit', '--no-fund'], consumer);
    assert.equal(online.status, 0, online.stderr);
    installedFrom = 'the registry (cache miss)';
  }
  writeFileSync(join(consumer, 'seqs.txt'), SEQUENCES);
});

describe('the packed tarball', () => {
  test('holds the build, the command, the native sources and the sample data; no sources, tests or maps', (t) => {
    t.diagnostic(`dependencies installed from ${installedFrom}`);
    for (const f of ['package.json', 'README.md', 'LICENSE', 'CHANGELOG.md', 'bin/samplify.mjs', 'dist/index.js', 'dist/index.d.ts', 'dist/cli/main.js', 'binding.gyp', 'native/samplify.cc', 'scripts/build-native.mjs', 'data/sample/beauty-sample.txt'])
      assert.ok(packed.includes(f), `${f} is not in the tarball`);
    for (const sub of subpaths) {
      const entry = manifest.exports[sub] as { types: string; import: string };
      assert.deepEqual(Object.keys(entry), ['types', 'import'], `${sub}: types first, then import`);
      for (const f of [entry.types, entry.import]) assert.ok(packed.includes(f.replace(/^\.\//, '')), `${sub} points at ${f}, which is not packed`);
    }
    const stray = packed.filter((f) => /^(src|test|bench|examples)\//.test(f) || f.endsWith('.map') || (f.endsWith('.ts') && !f.endsWith('.d.ts')));
    assert.deepEqual(stray, []);
  });

  test('installs with its runtime dependencies only (no tsx, no TypeScript)', () => {
    const installed = readdirSync(join(consumer, 'node_modules'));
    assert.ok(installed.includes(manifest.name));
    for (const dev of Object.keys(manifest.devDependencies)) assert.equal(existsSync(join(consumer, 'node_modules', dev)), false, `${dev} was installed`);
    assert.equal(manifest.dependencies.tsx, undefined);
  });
});

describe('an ESM JavaScript project importing the installed package', () => {
  test('runs an augmentation + evaluation whose numbers equal the same steps run from src/', async () => {
    writeFileSync(
      join(consumer, 'evaluate.mjs'),
      `import { loadDataset, leaveOneOutSplit, buildPipeline, expandTrainView, createRecommender, fullRankingRanks, metricsFromRanks, defaultMetrics } from 'samplify';
const { dataset, report } = await loadDataset('seqs.txt', 'seqtxt');
const split = leaveOneOutSplit(dataset);
const train = expandTrainView(split.train, buildPipeline(${JSON.stringify(PIPELINE)}), { views: 2, seed: 1 });
const model = createRecommender({ model: 'itemknn' });
await model.fit(train, { seed: 0 });
const metrics = metricsFromRanks(fullRankingRanks(model, split.valid, dataset.numItems), defaultMetrics()).means;
console.log(JSON.stringify({ rowsKept: report.rowsKept, trainSequences: train.users().length, metrics }));
`,
    );
    const fromPackage = JSON.parse(ok(process.execPath, ['evaluate.mjs'], consumer));

    const { dataset, report } = await loadDataset(join(consumer, 'seqs.txt'), 'seqtxt');
    const split = leaveOneOutSplit(dataset);
    const train = expandTrainView(split.train, buildPipeline(PIPELINE), { views: 2, seed: 1 });
    const model = createRecommender({ model: 'itemknn' });
    await model.fit(train, { seed: 0 });
    const metrics = metricsFromRanks(fullRankingRanks(model, split.valid, dataset.numItems), defaultMetrics()).means;
    assert.deepEqual(fromPackage, JSON.parse(JSON.stringify({ rowsKept: report.rowsKept, trainSequences: train.users().length, metrics })));
    assert.equal(fromPackage.trainSequences, 3 * 40, 'the original sequences and two views each');
    assert.ok(fromPackage.metrics['NDCG@10'] > 0);
  });

  test('each subpath exports exactly the names of its folder index, and nothing else is importable', async () => {
    writeFileSync(
      join(consumer, 'names.mjs'),
      `const subpaths = ${JSON.stringify(subpaths)};
const names = {};
for (const sub of subpaths) names[sub] = Object.keys(await import(sub === '.' ? 'samplify' : 'samplify/' + sub.slice(2))).sort();
let deep = 'importable';
try { await import('samplify/dist/data/split.js'); } catch (e) { deep = e.code; }
console.log(JSON.stringify({ names, deep }));
`,
    );
    const { names, deep } = JSON.parse(ok(process.execPath, ['names.mjs'], consumer)) as { names: Record<string, string[]>; deep: string };
    for (const sub of subpaths) {
      const source = join(root, 'src', sub === '.' ? 'index.ts' : `${sub.slice(2)}/index.ts`);
      const expected = Object.keys(await import(pathToFileURL(source).href)).sort();
      assert.deepEqual(names[sub], expected, `samplify${sub === '.' ? '' : sub.slice(1)}`);
    }
    assert.ok(names['.']!.length <= 40, `the root API is meant to stay small; it has ${names['.']!.length} names`);
    assert.equal(deep, 'ERR_PACKAGE_PATH_NOT_EXPORTED');
  });

  test('the samplify command runs from dist/ without a TypeScript loader', () => {
    const bin = join(consumer, 'node_modules', '.bin', 'samplify');
    assert.equal(ok(bin, ['--version'], consumer).trim(), manifest.version);
    const out = JSON.parse(ok(bin, ['evaluate', '--data', 'seqs.txt', '--model', 'pop', '--out', join(consumer, 'runs', 'pop'), '--json'], consumer));
    assert.ok(out.test['NDCG@10'] >= 0 && out.test['NDCG@10'] <= 1);
  });
});

test('a TypeScript project type-checks against the declarations (and they are real types, not any)', () => {
  writeFileSync(
    join(consumer, 'check.ts'),
    `import { createRecommender, loadDataset, leaveOneOutSplit, ConfigError, type Recommender, type SequentialSplit } from 'samplify';
import { Pipeline } from 'samplify/augment';
import { backendInfo, type BackendName } from 'samplify/nn';
import type { TrainView } from 'samplify/data';
import { DEFAULT_KS } from 'samplify/eval';

const model: Recommender = createRecommender({ model: 'itemknn' });
// @ts-expect-error: the declarations know the model names
createRecommender({ model: 'no-such-model' });
// @ts-expect-error: a backend name is one of two strings
export const backend: 'gpu' = backendInfo().name;
export const name: BackendName = backendInfo().name;
export async function evaluate(path: string): Promise<number> {
  const { dataset } = await loadDataset(path, 'seqtxt');
  const split: SequentialSplit = leaveOneOutSplit(dataset);
  const train: TrainView = split.train;
  // @ts-expect-error: a training view is not a number
  const wrong: number = split.train;
  await model.fit(train, { seed: 0 });
  return dataset.numItems + DEFAULT_KS.length + (wrong ? 0 : 1);
}
export const pipeline: Pipeline = new Pipeline({ version: 1, steps: [{ op: 'crop', ratio: 0.5 }] });
export const error: Error = new ConfigError('x');
`,
  );
  writeFileSync(
    join(consumer, 'tsconfig.json'),
    JSON.stringify({
      compilerOptions: { target: 'ES2022', module: 'NodeNext', moduleResolution: 'NodeNext', strict: true, noEmit: true, skipLibCheck: true, types: ['node'], typeRoots: [join(root, 'node_modules', '@types')] },
      files: ['check.ts'],
    }),
  );
  ok(process.execPath, [join(root, 'node_modules', 'typescript', 'bin', 'tsc'), '-p', 'tsconfig.json'], consumer);
});

test('dist/ finds the native addon at build/Release, as src/ does', () => {
  const probe = `const nn = await import(${JSON.stringify(pathToFileURL(join(root, 'dist', 'nn', 'index.js')).href)}); console.log(nn.nativeAvailable());`;
  const fromDist = ok(process.execPath, ['--input-type=module', '-e', probe], root).trim();
  assert.equal(fromDist, String(existsSync(join(root, 'build', 'Release', 'samplify_native.node'))));
});
