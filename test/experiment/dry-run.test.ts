/**
 * `samplify experiment --dry-run`: checks data, split and every arm against the data, prints the
 * plan with its row accounting and a time estimate — and writes nothing, trains nothing.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { stringify } from 'yaml';
import { tempFolder } from '../temp-folders.ts';
import { plantedSearch } from '../models/search/fixture.ts';

const root = resolve(import.meta.dirname, '..', '..');
const cli = (args: string[], cwd: string) => spawnSync(process.execPath, [join(root, 'scripts', 'samplify-src.mjs'), ...args], { encoding: 'utf8', cwd });

test('sequence experiment dry run: accounting, every arm sized against the data, estimate; nothing written', () => {
  const dir = tempFolder('samplify-dry-seq-');
  const lines = Array.from({ length: 60 }, (_, u) => `${u + 1} ${Array.from({ length: 6 }, (_, k) => 1 + ((u * 7 + k * 3) % 40)).join(' ')}`);
  lines.push('61 x y'); // a row the reader rejects: counted, not fatal
  writeFileSync(join(dir, 'seqs.txt'), lines.join('\n') + '\n');
  const config = {
    name: 'dry',
    data: { path: 'seqs.txt', format: 'seqtxt' },
    model: { model: 'sasrec', config: { hidden: 8, blocks: 1, heads: 1, maxLen: 10 } },
    seeds: 2,
    epochs: 3,
    arms: [
      { name: 'crop', pipeline: { steps: [{ op: 'crop', ratio: 0.6 }] }, views: 2 },
      { name: 'markov', synthesize: { model: 'markov', share: 1 } },
      { name: 'markov-pretrain', synthesize: { model: 'markov', share: 1, pretrain: { epochs: 1 } } },
    ],
  };
  writeFileSync(join(dir, 'exp.yaml'), stringify(config));
  const r = cli(['experiment', 'exp.yaml', '--dry-run', '--json'], dir);
  assert.equal(r.status, 0, r.stderr);
  const plan = JSON.parse(r.stdout);
  assert.equal(plan.kind, 'sequence-lift');
  assert.equal(plan.data.rowsIn, plan.data.rowsKept + plan.data.rowsRejected);
  assert.ok(plan.data.rowsRejected >= 1);
  assert.deepEqual(plan.arms.map((a: { name: string }) => a.name), ['baseline', 'crop', 'markov', 'markov-pretrain']);
  assert.ok(plan.arms[1].added > 0 && plan.arms[1].trainSize === plan.arms[0].trainSize + plan.arms[1].added);
  assert.equal(plan.runs, 8);
  // Pre-training: 1 of 3 epochs on the synthetic users (about as many interactions as the real
  // ones), 2 on the real ones — the baseline's cost, not the whole-run mixed arm's twice that.
  const [baseline, , mixed, pretrain] = plan.arms as { secondsPerSeed: number; note?: string }[];
  assert.ok(Math.abs(mixed!.secondsPerSeed / baseline!.secondsPerSeed - 2) < 0.1);
  assert.ok(Math.abs(pretrain!.secondsPerSeed / baseline!.secondsPerSeed - 1) < 0.1);
  assert.match(pretrain!.note ?? '', /pre-training: 1 epoch\(s\) on the synthetic users, then the real users alone/);
  assert.ok(plan.estimate.seconds > 0 && plan.arms[1].secondsPerSeed > plan.arms[0].secondsPerSeed);
  assert.deepEqual(readdirSync(dir).sort(), ['exp.yaml', 'seqs.txt'], 'nothing written');
  // A bad operator parameter fails before any plan, naming the key.
  writeFileSync(join(dir, 'bad.yaml'), stringify({ ...config, arms: [{ name: 'crop', pipeline: { steps: [{ op: 'crop', ratoi: 0.6 }] } }] }));
  const bad = cli(['experiment', 'bad.yaml', '--dry-run'], dir);
  assert.notEqual(bad.status, 0);
  assert.match(bad.stderr, /ratoi/);
  assert.doesNotMatch(bad.stderr, /\n\s+at /, 'no stack trace');
});

test('search experiment dry run: split sizes, augmented and generated additions planned, estimate; nothing written', () => {
  const dir = tempFolder('samplify-dry-search-');
  const p = plantedSearch(100, 2);
  const rows: string[] = [];
  for (const g of [...p.train, ...p.valid, ...p.test]) g.productIds.forEach((id, i) => rows.push(JSON.stringify({ query: g.query, product: id, title: p.products.get(id)!.title, label: g.labels[i] })));
  writeFileSync(join(dir, 'log.jsonl'), rows.join('\n') + '\n');
  const config = {
    task: 'search',
    name: 'dry-search',
    data: { path: 'log.jsonl', format: 'search-log', columns: { query: 'query', productId: 'product', title: 'title', label: 'label' }, labelScale: { min: 1, max: 3 } },
    split: { kind: 'query', seed: 0, train: 0.6, valid: 0.2, test: 0.2 },
    ranker: { name: 'lambdamart', config: { numTrees: 10 } },
    seeds: 3,
    arms: [
      { name: 'typo', pipeline: { family: 'text', steps: [{ op: 'typo', atLeastOne: true }] } },
      { name: 'doc2query', generate: { pairs: { queriesPerProduct: 2, maxProducts: 30 } } },
    ],
  };
  writeFileSync(join(dir, 'exp.yaml'), stringify(config));
  const r = cli(['experiment', 'exp.yaml', '--dry-run'], dir);
  assert.equal(r.status, 0, r.stderr);
  assert.match(r.stdout, /dry run of search-lift experiment 'dry-search': nothing trained, nothing written/);
  assert.match(r.stdout, /trainQueries 60, validQueries 20, testQueries 20/);
  assert.match(r.stdout, /doc2query\s+120\s+60 /);
  assert.match(r.stdout, /60 generation requests to embedded/);
  assert.match(r.stdout, /3 arms × 3 seeds = 9 runs/);
  assert.deepEqual(readdirSync(dir).sort(), ['exp.yaml', 'log.jsonl']);
  assert.equal(existsSync(join(dir, 'runs')), false);
});

test('ctr dry run: the table with its accounting, the temporal split and every (model, arm, synthesizer) planned; nothing written', () => {
  const dir = tempFolder('samplify-dry-ctr-');
  const rows = ['user,item,price,clicked,ts'];
  for (let i = 0; i < 200; i++) rows.push(`u${i % 20},i${i % 13},${(i % 7) + 1},${i % 3 === 0 ? 1 : 0},${1000 + i}`);
  rows.push('u1,i2,3,maybe,5000'); // not a binary label: the loader's clear error names it
  writeFileSync(join(dir, 'clicks.csv'), rows.slice(0, -1).join('\n') + '\n');
  writeFileSync(join(dir, 'ctr.yaml'), stringify({ name: 'c', data: { path: 'clicks.csv', label: 'clicked', timestamp: 'ts' }, models: ['logistic'], synthesizers: ['gaussian-copula'], arms: ['real', 'real+synth'], seeds: [0, 1] }));
  const r = cli(['ctr', 'ctr.yaml', '--dry-run', '--json'], dir);
  assert.equal(r.status, 0, r.stderr);
  const plan = JSON.parse(r.stdout);
  assert.equal(plan.kind, 'ctr');
  assert.equal(plan.data.rowsIn, 200);
  assert.equal(plan.split.train + plan.split.valid + plan.split.test, 200);
  assert.deepEqual(plan.arms.map((a: { name: string }) => a.name), ['logistic · real', 'logistic · real+synth · gaussian-copula']);
  assert.equal(plan.runs, 4);
  assert.equal(plan.estimate, null);
  writeFileSync(join(dir, 'clicks.csv'), rows.join('\n') + '\n');
  const bad = cli(['ctr', 'ctr.yaml', '--dry-run'], dir);
  assert.notEqual(bad.status, 0);
  assert.match(bad.stderr, /clicks\.csv:202 field 'clicked'.*not binary/);
  assert.deepEqual(readdirSync(dir).sort(), ['clicks.csv', 'ctr.yaml']);
});
